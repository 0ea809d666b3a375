// How each custom field type is named on screen (pure: views use it).
import type { CustomFieldType } from "../db/schema";

export const CUSTOM_FIELD_TYPE_LABELS: Record<CustomFieldType, string> = {
  text: "Text",
  number: "Number",
  date: "Date",
  boolean: "Yes/no",
};
