// The conditions builder: groups of condition rows (contact fields, segments, events) joined by all/any, one nested
// level, with its live count and first matching contacts. Inputs are named under `prefix` (src/conditions/form.ts).
import type { Child } from "hono/jsx";
import { OPERATORS_BY_TYPE, BASE_FIELDS, fieldType, type FieldType } from "../../src/conditions/grammar";
import { FIELD_LABELS, FIELD_OPERATOR_LABELS } from "../../src/conditions/describe";
import type { DraftGroup, DraftLeaf } from "../../src/conditions/form";
import { CONDITION_OPERATORS, OPERATOR_LABELS } from "../../src/workflows/conditions";
import type { ContactRow } from "../../src/contacts/queries";
import { formatCount } from "../components/format";

export interface BuilderCustomField {
  key: string;
  label: string;
  type: "text" | "number" | "date" | "boolean";
}

export interface ConditionsBuilderProps {
  draft: DraftGroup;
  /** Input names and element ids start with it ("c"): two builders on one page need two prefixes. */
  prefix: string;
  segments: { id: number; name: string }[];
  customFields: BuilderCustomField[];
  /** Error messages by input name (conditionsFromForm's `errors`). */
  errors?: Record<string, string>;
  /** Where the add/remove/nest buttons and the field and kind selects send the builder's inputs (POST), e.g. "/conditions/builder". */
  builderUrl: string;
  /** Where the live count and first ten are asked (POST, the builder's inputs), or none (the page shows its own results). */
  previewUrl?: string | null;
  legend?: string;
}

export const EVENT_TYPES = ["purchase", "product_search", "page_view", "form_submit"];

const FIELD_TYPE_OPS_LABELS: Partial<Record<FieldType, Partial<Record<string, string>>>> = {
  timestamp: { before: "is before", after: "is after", between: "is between", in_last_days: "is in the last" },
  date: { before: "is before", after: "is after", between: "is between", in_last_days: "is in the last" },
  boolean: { is: "is" },
};

function opLabel(type: FieldType, op: string): string {
  return FIELD_TYPE_OPS_LABELS[type]?.[op] ?? FIELD_OPERATOR_LABELS[op as keyof typeof FIELD_OPERATOR_LABELS] ?? op;
}

/** The operator a row shows: its own when the field takes it, else the field's first. */
export function leafOperator(leaf: DraftLeaf, customFields: BuilderCustomField[]): string {
  const type = fieldType(leaf.field, customFields) ?? "text";
  const ops = OPERATORS_BY_TYPE[type] as readonly string[];
  return ops.includes(leaf.op) ? leaf.op : ops[0]!;
}

const id = (name: string) => name.replace(/\./g, "-");

/** A change to a select that reshapes the row (kind, field) redraws the builder; values stay as typed. */
function redraw(props: ConditionsBuilderProps) {
  return {
    "hx-post": props.builderUrl,
    "hx-target": `#${props.prefix}-builder`,
    "hx-swap": "outerHTML",
    "hx-include": `#${props.prefix}-builder`,
    "hx-vals": JSON.stringify({ cb_prefix: props.prefix }),
  };
}

function ActionButton(props: { builder: ConditionsBuilderProps; action: string; label: string; ariaLabel?: string; class?: string }) {
  return (
    <button
      type="submit"
      name="cb_action"
      value={props.action}
      formnovalidate
      class={props.class ?? "secondary outline cond-button"}
      aria-label={props.ariaLabel}
      {...redraw(props.builder)}
      hx-trigger="click"
      hx-vals={JSON.stringify({ cb_prefix: props.builder.prefix, cb_action: props.action })}
    >
      {props.label}
    </button>
  );
}

function Err({ name, errors }: { name: string; errors?: Record<string, string> }) {
  const message = errors?.[name];
  return message ? (
    <small id={`${id(name)}-error`} class="cond-error">
      {message}
    </small>
  ) : null;
}

function invalid(name: string, errors?: Record<string, string>) {
  return errors?.[name] ? { "aria-invalid": "true" as const, "aria-describedby": `${id(name)}-error` } : {};
}

function Select(props: {
  name: string;
  label: string;
  value: string;
  options: [string, string][];
  errors?: Record<string, string>;
  extra?: Record<string, string>;
  groups?: { label: string; options: [string, string][] }[];
}) {
  return (
    <span class="cond-input">
      <label for={id(props.name)} class="visually-hidden">
        {props.label}
      </label>
      <select id={id(props.name)} name={props.name} {...invalid(props.name, props.errors)} {...(props.extra ?? {})}>
        {props.options.map(([v, l]) => (
          <option value={v} selected={v === props.value}>
            {l}
          </option>
        ))}
        {props.groups?.map((g) => (
          <optgroup label={g.label}>
            {g.options.map(([v, l]) => (
              <option value={v} selected={v === props.value}>
                {l}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      <Err name={props.name} errors={props.errors} />
    </span>
  );
}

function Input(props: {
  name: string;
  label: string;
  value: string;
  type?: string;
  errors?: Record<string, string>;
  placeholder?: string;
  narrow?: boolean;
  list?: string;
  step?: string;
  min?: string;
}) {
  return (
    <span class={props.narrow ? "cond-input narrow" : "cond-input"}>
      <label for={id(props.name)} class="visually-hidden">
        {props.label}
      </label>
      <input
        id={id(props.name)}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        placeholder={props.placeholder}
        list={props.list}
        step={props.step}
        min={props.min}
        autocomplete="off"
        {...invalid(props.name, props.errors)}
      />
      <Err name={props.name} errors={props.errors} />
    </span>
  );
}

function FieldRow({ leaf, path, props, n }: { leaf: DraftLeaf; path: string; props: ConditionsBuilderProps; n: string }) {
  const { errors, customFields } = props;
  const type = fieldType(leaf.field, customFields) ?? "text";
  const op = leafOperator(leaf, customFields);
  const ops = (OPERATORS_BY_TYPE[type] as readonly string[]).map((o): [string, string] => [o, opLabel(type, o)]);
  const valueInput = (name: string, value: string, label: string) => {
    if (op === "in_last_days") return <Input name={name} label={label} value={value} type="number" min="1" step="1" narrow placeholder="30" errors={errors} />;
    if (type === "number") return <Input name={name} label={label} value={value} type="number" step="any" narrow errors={errors} />;
    if (type === "timestamp" || type === "date") return <Input name={name} label={label} value={value} type="date" errors={errors} />;
    if (type === "boolean")
      return (
        <Select
          name={name}
          label={label}
          value={value || "true"}
          options={[
            ["true", "yes"],
            ["false", "no"],
          ]}
          errors={errors}
        />
      );
    return <Input name={name} label={label} value={value} errors={errors} placeholder={type === "email_domain" ? "acme.es" : undefined} />;
  };
  return (
    <>
      <Select
        name={`${path}.field`}
        label={`${n}: field`}
        value={leaf.field}
        options={[]}
        groups={[
          { label: "Contact", options: BASE_FIELDS.map((f): [string, string] => [f, FIELD_LABELS[f]!]) },
          ...(customFields.length ? [{ label: "Custom fields", options: customFields.map((f): [string, string] => [`custom.${f.key}`, f.label]) }] : []),
        ]}
        errors={errors}
        extra={{ ...redraw(props), "hx-trigger": "change" }}
      />
      <Select name={`${path}.op`} label={`${n}: comparison`} value={op} options={ops} errors={errors} extra={{ ...redraw(props), "hx-trigger": "change" }} />
      {op === "is_empty" || op === "is_not_empty" ? null : op === "between" ? (
        <>
          {valueInput(`${path}.value`, leaf.value, `${n}: from`)}
          <span class="cond-word">and</span>
          {valueInput(`${path}.value2`, leaf.value2, `${n}: to`)}
        </>
      ) : (
        <>
          {valueInput(`${path}.value`, leaf.value, `${n}: value`)}
          {op === "in_last_days" && <span class="cond-word">days</span>}
        </>
      )}
    </>
  );
}

function SegmentRow({ leaf, path, props, n }: { leaf: DraftLeaf; path: string; props: ConditionsBuilderProps; n: string }) {
  const { errors } = props;
  return (
    <>
      <Select
        name={`${path}.segment_op`}
        label={`${n}: in or not in`}
        value={leaf.segmentOp}
        options={[
          ["in", "is in"],
          ["not_in", "is not in"],
        ]}
        errors={errors}
      />
      <Select
        name={`${path}.segment`}
        label={`${n}: segment`}
        value={leaf.segment}
        options={[["", "Choose a segment"], ...props.segments.map((s): [string, string] => [String(s.id), s.name])]}
        errors={errors}
      />
      <span class="cond-word">joined in the last</span>
      <Input
        name={`${path}.joined_days`}
        label={`${n}: joined in the last (days, optional)`}
        value={leaf.joinedDays}
        type="number"
        min="1"
        step="1"
        narrow
        placeholder="any"
        errors={errors}
      />
      <span class="cond-word">days</span>
    </>
  );
}

function EventRow({ leaf, path, props, n }: { leaf: DraftLeaf; path: string; props: ConditionsBuilderProps; n: string }) {
  const { errors } = props;
  const listId = `${props.prefix}-event-types`;
  return (
    <>
      <Select
        name={`${path}.event_op`}
        label={`${n}: did or did not`}
        value={leaf.eventOp}
        options={[
          ["did", "did"],
          ["did_not", "did not do"],
        ]}
        errors={errors}
      />
      <Input name={`${path}.event`} label={`${n}: event type`} value={leaf.event} list={listId} placeholder="purchase" errors={errors} />
      <span class="cond-word">at least</span>
      <Input name={`${path}.at_least`} label={`${n}: at least (times)`} value={leaf.atLeast || "1"} type="number" min="1" step="1" narrow errors={errors} />
      <span class="cond-word">times</span>
      <Select
        name={`${path}.window`}
        label={`${n}: when`}
        value={leaf.window}
        options={[
          ["days", "in the last"],
          ["between", "between"],
          ["any", "at any time"],
        ]}
        errors={errors}
        extra={{ ...redraw(props), "hx-trigger": "change" }}
      />
      {leaf.window === "days" && (
        <>
          <Input name={`${path}.days`} label={`${n}: days`} value={leaf.days} type="number" min="1" step="1" narrow errors={errors} />
          <span class="cond-word">days</span>
        </>
      )}
      {leaf.window === "between" && (
        <>
          <Input name={`${path}.from`} label={`${n}: from date`} value={leaf.from} type="date" errors={errors} />
          <span class="cond-word">and</span>
          <Input name={`${path}.to`} label={`${n}: to date`} value={leaf.to} type="date" errors={errors} />
        </>
      )}
      {leaf.where.length > 0 && (
        <ul class="cond-where" aria-label={`${n}: where its properties`}>
          {leaf.where.map((w, j) => {
            const wp = `${path}.w${j}`;
            return (
              <li>
                <span class="cond-word">{j === 0 ? "where" : "and"}</span>
                <Input name={`${wp}.path`} label={`${n}: property ${j + 1}`} value={w.path} placeholder="products.category" errors={errors} />
                <Select
                  name={`${wp}.op`}
                  label={`${n}: property ${j + 1} comparison`}
                  value={w.op}
                  options={CONDITION_OPERATORS.map((o): [string, string] => [o, OPERATOR_LABELS[o]])}
                  errors={errors}
                />
                <Input
                  name={`${wp}.value`}
                  label={`${n}: property ${j + 1} value`}
                  value={w.value}
                  placeholder={w.op === "in_list" ? "a, b, c" : ""}
                  errors={errors}
                />
                <ActionButton
                  builder={props}
                  action={`unwhere:${wp}`}
                  label="×"
                  ariaLabel={`${n}: remove property ${j + 1}`}
                  class="secondary outline cond-button cond-remove"
                />
              </li>
            );
          })}
        </ul>
      )}
      <ActionButton builder={props} action={`where:${path}`} label="+ property" ariaLabel={`${n}: add a property condition`} />
    </>
  );
}

function Row({ leaf, path, n, props }: { leaf: DraftLeaf; path: string; n: string; props: ConditionsBuilderProps }) {
  return (
    <li class="cond-row" data-cond-row={path}>
      <Select
        name={`${path}.type`}
        label={`${n} is on`}
        value={leaf.type}
        options={[
          ["field", "Contact field"],
          ["segment", "Segment"],
          ["event", "Event"],
        ]}
        errors={props.errors}
        extra={{ ...redraw(props), "hx-trigger": "change" }}
      />
      {leaf.type === "field" && <FieldRow leaf={leaf} path={path} props={props} n={n} />}
      {leaf.type === "segment" && <SegmentRow leaf={leaf} path={path} props={props} n={n} />}
      {leaf.type === "event" && <EventRow leaf={leaf} path={path} props={props} n={n} />}
      <Err name={path} errors={props.errors} />
      <ActionButton
        builder={props}
        action={`remove:${path}`}
        label="Remove"
        ariaLabel={`Remove ${n.charAt(0).toLowerCase()}${n.slice(1)}`}
        class="secondary outline cond-button cond-remove"
      />
    </li>
  );
}

function Group({ group, path, depth, props, name }: { group: DraftGroup; path: string; depth: number; props: ConditionsBuilderProps; name?: string }) {
  const body = (
    <>
      <div class="cond-group-head">
        <Select
          name={`${path}.kind`}
          label={name ? `${name}: match` : "Match"}
          value={group.kind}
          options={[
            ["all", "All of"],
            ["any", "Any of"],
          ]}
          errors={props.errors}
        />
        <span class="cond-word">these conditions</span>
        {depth > 0 && <input type="hidden" name={`${path}.type`} value="group" />}
        {depth > 0 && (
          <ActionButton
            builder={props}
            action={`remove:${path}`}
            label="Remove group"
            ariaLabel={`Remove ${name?.toLowerCase() ?? "group"}`}
            class="secondary outline cond-button cond-remove"
          />
        )}
      </div>
      <ol class="cond-rows">
        {group.items.map((n, i) =>
          n.type === "group" ? (
            <li class="cond-row group-row">
              <Group group={n} path={`${path}.${i}`} depth={depth + 1} props={props} name={`Group ${i + 1}`} />
            </li>
          ) : (
            <Row leaf={n} path={`${path}.${i}`} n={name ? `${name}, condition ${i + 1}` : `Condition ${i + 1}`} props={props} />
          ),
        )}
      </ol>
      <div class="cond-buttons">
        <ActionButton builder={props} action={`add:${path}`} label="Add condition" ariaLabel={name ? `${name}: add condition` : undefined} />
        {depth === 0 && <ActionButton builder={props} action={`group:${path}`} label="Add group" />}
      </div>
    </>
  );
  // A nested group is a fieldset of its own (its legend names it); Pico styles [role=group] as a button group.
  return depth === 0 ? (
    <div class="cond-group">{body}</div>
  ) : (
    <fieldset class="cond-group nested">
      <legend class="visually-hidden">{name}</legend>
      {body}
    </fieldset>
  );
}

/**
 * The builder, self-contained: put it inside any form (its inputs submit with it). Without JavaScript its buttons
 * submit that form with `cb_action`, which the page applies (applyBuilderAction) and renders back.
 */
export function ConditionsBuilder(props: ConditionsBuilderProps) {
  return (
    <fieldset id={`${props.prefix}-builder`} class="conditions-builder" data-conditions-builder={props.prefix}>
      <legend>{props.legend ?? "Conditions"}</legend>
      <input type="hidden" name="cb_prefix" value={props.prefix} />
      {/* Read back by the builder route, so a redraw keeps the panel and the legend. */}
      {props.previewUrl && <input type="hidden" name="cb_preview" value={props.previewUrl} />}
      <input type="hidden" name="cb_legend" value={props.legend ?? "Conditions"} />
      <datalist id={`${props.prefix}-event-types`}>
        {EVENT_TYPES.map((t) => (
          <option value={t}></option>
        ))}
      </datalist>
      <Err name={props.prefix} errors={props.errors} />
      <Group group={props.draft} path={props.prefix} depth={0} props={props} />
      {props.previewUrl && <ConditionsPreviewPanel prefix={props.prefix} previewUrl={props.previewUrl} />}
    </fieldset>
  );
}

/**
 * The live panel: asks `previewUrl` for the count and first ten as inputs change (debounced), and once on load; a
 * newer question replaces one still running, so a slow answer never lands over a newer one.
 */
export function ConditionsPreviewPanel({ prefix, previewUrl }: { prefix: string; previewUrl: string }) {
  return (
    <section
      id={`${prefix}-preview`}
      class="cond-preview"
      aria-live="polite"
      aria-label="Matching contacts"
      hx-post={previewUrl}
      hx-trigger={`load, input changed delay:300ms from:#${prefix}-builder, change from:#${prefix}-builder`}
      hx-include={`#${prefix}-builder`}
      hx-vals={JSON.stringify({ cb_prefix: prefix })}
      hx-target="this"
      hx-swap="innerHTML"
      hx-sync="this:replace"
    >
      <p class="muted">Counting…</p>
    </section>
  );
}

/** The panel's content: the count and the first ten, or why there is none. */
export function ConditionsPreview(props: { count: number | null; contacts: ContactRow[]; message?: string | null }): Child {
  if (props.count === null)
    return (
      <p class="muted" data-testid="conditions-count">
        {props.message ?? "Finish a condition to see how many contacts match."}
      </p>
    );
  return (
    <>
      <p data-testid="conditions-count">
        <strong>{formatCount(props.count)}</strong> {props.count === 1 ? "contact matches" : "contacts match"}
        {props.count > props.contacts.length && props.contacts.length > 0 ? `; the newest ${props.contacts.length}:` : props.contacts.length ? ":" : "."}
      </p>
      {props.contacts.length > 0 && (
        <ul class="cond-preview-list">
          {props.contacts.map((c) => (
            <li>
              <a href={`/contacts/${c.id}`}>{c.email}</a>
              {(c.firstName || c.lastName) && <span class="muted"> {[c.firstName, c.lastName].filter(Boolean).join(" ")}</span>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
