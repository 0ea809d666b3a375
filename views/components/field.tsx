/** A labelled input with its error under it (aria-invalid and aria-describedby set), as every form uses. */
export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value?: string | number | null;
  error?: string;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
  id?: string;
}) {
  const id = props.id ?? `f-${props.name}`;
  const describedBy = props.error ? `${id}-error` : props.hint ? `${id}-hint` : undefined;
  return (
    <label for={id}>
      {props.label}
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        required={props.required}
        autocomplete={props.autocomplete}
        placeholder={props.placeholder}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={describedBy}
      />
      {props.error ? <small id={`${id}-error`}>{props.error}</small> : props.hint ? <small id={`${id}-hint`}>{props.hint}</small> : null}
    </label>
  );
}
