import type { WorkflowDraft } from "../../src/db/schema";
import { describeCondition, isConditionOperator } from "../../src/workflows/conditions";
import { ACTION_LABELS } from "../../src/workflows/draft";
import { findTrigger, isSegmentTrigger, isTriggerKind, suggestedPathsForTrigger } from "../../src/workflows/triggers";
import type { SegmentOption } from "./nodes";

/**
 * The workflow drawn on the server: Home -> trigger -> conditions (all must hold) -> actions side by side.
 * Plain HTML boxes and CSS connectors, so it reflows on a phone and reads as a list to a screen reader.
 * Incomplete nodes are drawn dashed.
 */
export function Diagram({
  name,
  draft,
  segments,
  triggerSegments = segments,
}: {
  name: string;
  draft: WorkflowDraft;
  segments: SegmentOption[];
  triggerSegments?: SegmentOption[];
}) {
  const segmentName = (id: number | null) => (id === null ? "no segment chosen" : (segments.find((s) => s.id === id)?.name ?? `deleted segment #${id}`));
  const watched = (id: number | null | undefined) =>
    id === null || id === undefined ? "" : `: ${triggerSegments.find((s) => s.id === id)?.name ?? `deleted segment #${id}`}`;
  const trigger = isTriggerKind(draft.trigger)
    ? findTrigger(draft.trigger).label +
      (draft.trigger === "custom" && draft.customType ? `: ${draft.customType}` : "") +
      (isSegmentTrigger(draft.trigger) ? watched(draft.triggerSegmentId) : "")
    : null;
  return (
    <figure id="workflow-diagram" class="wf-diagram">
      <figcaption class="visually-hidden">Workflow diagram</figcaption>
      <ol class="wf-flow">
        <li class="wf-step wf-step-home">
          <a href="#node-home" class="wf-box">
            <span class="wf-box-kind">Home</span>
            {name}
          </a>
        </li>
        <li class="wf-step wf-step-trigger">
          <a href="#node-trigger" class={`wf-box${trigger ? "" : " wf-incomplete"}`}>
            <span class="wf-box-kind">Trigger</span>
            {trigger ?? "Choose a trigger"}
          </a>
        </li>
        {draft.conditions.map((c, i) => (
          <li class="wf-step wf-step-condition">
            <a href={`#node-${c.key}`} class={`wf-box${c.path.trim() && c.value.trim() ? "" : " wf-incomplete"}`}>
              <span class="wf-box-kind">{i === 0 ? "If" : "and"}</span>
              {c.path.trim() && c.value.trim() && isConditionOperator(c.operator) ? describeCondition(c) : "incomplete condition"}
            </a>
          </li>
        ))}
        <li class="wf-step wf-step-actions">
          {draft.actions.length === 0 ? (
            <span class="wf-box wf-incomplete">
              <span class="wf-box-kind">Then</span>Add an action
            </span>
          ) : (
            <ul class="wf-actions">
              {draft.actions.map((a) => (
                <li>
                  <a href={`#node-${a.key}`} class={`wf-box wf-action-${a.kind}${a.segmentId === null ? " wf-incomplete" : ""}`}>
                    <span class="wf-box-kind">{ACTION_LABELS[a.kind]}</span>
                    {segmentName(a.segmentId)}
                  </a>
                </li>
              ))}
            </ul>
          )}
        </li>
      </ol>
    </figure>
  );
}

/** Property suggestions for the condition nodes, following the trigger. */
export function PathSuggestions({ draft }: { draft: WorkflowDraft }) {
  const paths = isTriggerKind(draft.trigger) ? suggestedPathsForTrigger(draft.trigger) : [];
  return (
    <datalist id="wf-paths">
      {paths.map((p) => (
        <option value={p} />
      ))}
    </datalist>
  );
}
