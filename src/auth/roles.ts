// Role ranks: which role may do what another role may (used by routes and by views to show controls).
import type { Role } from "../db/schema";

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function hasRole(actual: Role, needed: Role): boolean {
  return RANK[actual] >= RANK[needed];
}
