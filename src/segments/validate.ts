// What a segment's name and description may be, for the form and the API alike.
import { z } from "zod";
import { withoutNul } from "../text";

export const segmentInputSchema = z.object({
  name: z
    .string({ message: "Enter a segment name." })
    .trim()
    .min(1, "Enter a segment name.")
    .max(200, "Use at most 200 characters.")
    .refine(...withoutNul),
  description: z
    .string({ message: "The description must be text." })
    .trim()
    .max(2000, "Use at most 2,000 characters.")
    .refine(...withoutNul)
    .default(""),
});

export const segmentPatchSchema = segmentInputSchema.partial();
