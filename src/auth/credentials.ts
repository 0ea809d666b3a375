// The rules an email address and a password must meet, wherever a user enters one (setup, users, change password).
import { z } from "zod";
import { isCommonPassword, MIN_PASSWORD_LENGTH } from "./password";

export const emailSchema = z.string().trim().max(254).email("Enter a valid email address.");

export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(256)
  .refine((p) => p.trim() !== "", "Use letters, digits or symbols, not only spaces.")
  .refine((p) => !isCommonPassword(p), "This is one of the most common passwords, the first ones guessed: choose another.");
