import type { SessionUser } from "../../src/auth/session";
import { formatCount } from "../components/format";
import { Layout } from "../layout";

export interface BulkConfirmationProps {
  action: "add" | "remove";
  count: number;
  segment: { id: number; name: string };
  all: boolean;
  ids: number[];
  q: string;
  segmentId: number | null;
  /** The list's conditions as a JSON document ("" for none), sent again with the confirmed change. */
  conditions?: string;
  /** The list the change was asked from: Cancel goes back there. */
  back: string;
  /** Where the confirmed change is sent: Contacts' bulk change, or a segment's members page removal. */
  postTo?: string;
}

/** "Add 401,953 contacts to Buyers 2026?" */
export function bulkQuestion({ action, count, segment }: Pick<BulkConfirmationProps, "action" | "count" | "segment">): string {
  const contacts = `${formatCount(count)} contact${count === 1 ? "" : "s"}`;
  return action === "add" ? `Add ${contacts} to ${segment.name}?` : `Remove ${contacts} from ${segment.name}?`;
}

/**
 * The question a large bulk change asks first, with a form that sends the same change again, confirmed. Inline
 * (htmx, under the bulk bar) Cancel only closes it, keeping the ticks; on its own page Cancel goes back to the list.
 */
export function BulkConfirmation(props: BulkConfirmationProps & { inline?: boolean }) {
  const question = bulkQuestion(props);
  const verb = props.action === "add" ? "Add" : "Remove";
  return (
    <div class="bulk-confirm" role="alertdialog" aria-labelledby="bulk-confirm-question" aria-describedby="bulk-confirm-detail">
      <h2 id="bulk-confirm-question">{question}</h2>
      <p id="bulk-confirm-detail" class="muted">
        {props.all ? `Every contact matching the list's search and filter${props.conditions ? " and conditions" : ""} ` : "The ticked contacts "}
        {props.action === "add"
          ? `${props.all ? "enters" : "enter"} ${props.segment.name}; those already in it stay as they are.`
          : `${props.all ? "leaves" : "leave"} ${props.segment.name}.`}
      </p>
      <form method="post" action={props.postTo ?? "/contacts/bulk"} class="buttons">
        <input type="hidden" name="confirmed" value="1" />
        {props.postTo && <input type="hidden" name="back" value={props.back} />}
        <input type="hidden" name="action" value={props.action} />
        <input type="hidden" name="target" value={String(props.segment.id)} />
        <input type="hidden" name="q" value={props.q} />
        <input type="hidden" name="segment" value={props.segmentId ? String(props.segmentId) : ""} />
        {props.conditions ? <input type="hidden" name="conditions" value={props.conditions} /> : null}
        {props.all ? <input type="hidden" name="all" value="1" /> : <input type="hidden" name="kept" value={props.ids.join(",")} />}
        <button type="submit" data-autofocus>{`${verb} ${formatCount(props.count)} contacts`}</button>
        {props.inline ? (
          <button type="button" class="secondary" data-dismiss="bulk-confirm">
            Cancel
          </button>
        ) : (
          <a href={props.back} role="button" class="secondary">
            Cancel
          </a>
        )}
      </form>
    </div>
  );
}

export function BulkConfirmationPage(props: BulkConfirmationProps & { user: SessionUser }) {
  return (
    <Layout title={bulkQuestion(props)} user={props.user} section="contacts">
      <BulkConfirmation {...props} />
    </Layout>
  );
}
