/** The page that explains why a contact is in a dynamic segment. */
export function whyHref(segmentId: number, contactId: number): string {
  return `/segments/${segmentId}/why/${contactId}`;
}
