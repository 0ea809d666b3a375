import type { APIRequestContext } from "@playwright/test";
import { createApiKeyInBrowser, expect, signIn, test } from "./fixtures";

// Contacts > See all filtered by conditions: a marketer builds "email domain is acme.es and is in segment VIP",
// sees the count, and adds all the matching contacts to another segment as one change.

async function api(request: APIRequestContext, key: string, path: string, data: unknown) {
  const res = await request.post(`/api/v1${path}`, { data, headers: { Authorization: `Bearer ${key}` } });
  expect(res.ok(), await res.text()).toBe(true);
  return res.json();
}

test("build email domain is acme.es and in segment VIP, see the count, add all matching to a segment", async ({ page, admin }) => {
  await signIn(page, admin);
  const key = await createApiKeyInBrowser(page);
  const vip = await api(page.request, key, "/segments", { name: "VIP" });
  await api(page.request, key, "/segments", { name: "Spring campaign" });
  for (const email of ["ana@acme.es", "bob@acme.es", "cat@other.test"]) await api(page.request, key, "/contacts", { email });
  await api(page.request, key, `/segments/${vip.id}/contacts`, { emails: ["ana@acme.es", "cat@other.test"] });

  await page.goto("/contacts");
  const rows = page.locator("#contacts-results tbody tr");
  await expect(rows).toHaveCount(3);
  await page.getByText("Filter by conditions").click();
  await expect(page.getByLabel("Condition 1: field")).toHaveValue("email_domain");
  await page.getByLabel("Condition 1: value").fill("acme.es");
  await expect(rows).toHaveCount(2);

  await page.getByRole("button", { name: "Add condition" }).click();
  await page.getByLabel("Condition 2 is on").selectOption({ label: "Segment" });
  await page.getByLabel("Condition 2: segment").selectOption({ label: "VIP" });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("ana@acme.es");
  await expect(page.getByTestId("matching-count")).toHaveText("Select all 1 matching");

  await page.getByLabel("Select all 1 matching").check();
  await page.getByLabel("Segment to change").selectOption({ label: "Spring campaign" });
  await page.getByRole("button", { name: "Add to segment" }).click();
  await expect(page.getByRole("status")).toContainText("1 contact added to Spring campaign by conditions.");

  await page.goto("/segments");
  await page.getByRole("link", { name: "Spring campaign" }).click();
  const members = page.locator("#members-results tbody tr");
  await expect(members).toHaveCount(1);
  await expect(members.first()).toContainText("ana@acme.es");
  await expect(page.getByText(/by conditions of/).first()).toBeVisible();
});
