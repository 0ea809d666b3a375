// A signed-in account with something on every page (contacts, a segment with members, a finished import, a draft
// import, a finished export, a workflow, a custom field, a second user) and the list of pages a person visits.
import { expect, type Page } from "@playwright/test";
import { createApiKeyInBrowser } from "./fixtures";

export interface TourPage {
  name: string;
  path: string;
}

/** Seeds the account through the API and the app's own forms, and returns every page worth looking at. */
export async function seedTour(page: Page, baseURL: string): Promise<TourPage[]> {
  const key = await createApiKeyInBrowser(page, "Shop backend");
  const auth = { Authorization: `Bearer ${key}` };
  const api = async (path: string, data: unknown) => {
    const res = await page.request.post(`${baseURL}/api/v1${path}`, { headers: auth, data });
    expect(res.ok(), `${path}: ${await res.text()}`).toBe(true);
    return (await res.json()) as Record<string, unknown>;
  };
  const form = async (path: string, data: Record<string, string>) => {
    const res = await page.request.post(`${baseURL}${path}`, { form: data, headers: { Origin: baseURL } });
    expect(res.ok(), `${path}: ${res.status()}`).toBe(true);
    return res.url();
  };

  const people = [
    { email: "anastasia.konstantinopoulou@example-furniture-shop.com", first_name: "Anastasia", last_name: "Konstantinopoulou", phone: "+30 210 123 4567" },
    { email: "bob@example.com", first_name: "Bob", last_name: "Smith" },
    { email: "chloe@example.com", first_name: "Chloë", last_name: "Dubois" },
  ];
  const contactIds: number[] = [];
  for (const p of people) contactIds.push(Number((await api("/contacts", p)).id));
  const segment = await api("/segments", { name: "Spring Buyers 2026", description: "Bought during the March sale, in the shop or online" });
  const segmentId = Number(segment.id);
  await api(`/segments/${segmentId}/contacts`, { emails: people.map((p) => p.email) });
  await api("/segments", { name: "Newsletter", description: "" });
  await api("/events", {
    id: "tour-order-1",
    type: "purchase",
    email: people[0]!.email,
    properties: {
      order_id: "T1",
      total: 480,
      currency: "EUR",
      products: [{ id: "d1", name: "Standing desk", category: "office furniture", price: 480, quantity: 1 }],
    },
  });
  const dynamic = await api("/segments", {
    name: "Office furniture buyers, not yet customers",
    type: "dynamic",
    description: "Bought office furniture in the last 30 days",
    conditions: {
      all: [
        {
          event: "purchase",
          op: "did",
          in_last_days: 30,
          where: [
            { path: "products.category", op: "equals", value: "office furniture" },
            { path: "total", op: "greater_than", value: 100 },
          ],
        },
        { segment: segmentId, op: "in" },
        {
          any: [
            { field: "email_domain", op: "is", value: "example-furniture-shop.com" },
            { field: "created_at", op: "in_last_days", value: 90 },
          ],
        },
      ],
    },
  });
  const dynamicId = Number(dynamic.id);

  const imported = await page.request.post(`${baseURL}/api/v1/imports?file_name=trade-fair.csv&segment_id=${segmentId}`, {
    headers: { ...auth, "Content-Type": "text/csv" },
    data: "email,first_name\ndana@example.com,Dana\nnot-an-email,Eve\n",
  });
  expect(imported.ok(), await imported.text()).toBe(true);
  const importId = Number(((await imported.json()) as { id: number }).id);
  await expect
    .poll(async () => ((await (await page.request.get(`${baseURL}/api/v1/imports/${importId}`, { headers: auth })).json()) as { status: string }).status)
    .toBe("completed");
  const draftUrl = await form("/imports", { csv: "E-mail;Prénom;Ville\nada@example.com;Ada;Paris\n" });
  const draftPath = new URL(draftUrl).pathname;

  const exp = await api("/exports", { segment_id: segmentId, fields: ["email", "first_name"], format: "csv" });
  const exportId = Number(exp.id);
  await expect
    .poll(async () => ((await (await page.request.get(`${baseURL}/api/v1/exports/${exportId}`, { headers: auth })).json()) as { status: string }).status)
    .toBe("completed");

  const workflowPath = new URL(await form("/workflows", { name: "Office furniture searchers" })).pathname;
  await form("/admin/custom-fields", { label: "Favourite colour", type: "text" });
  await form("/admin/users", { name: "Vera Viewer", email: "vera.viewer@example-furniture-shop.com", role: "viewer", password: "viewer password 1" });

  return [
    { name: "contacts", path: "/contacts" },
    { name: "contacts-filtered", path: `/contacts?segment=${segmentId}` },
    { name: "contact-new", path: "/contacts/new" },
    { name: "contact", path: `/contacts/${contactIds[0]}` },
    { name: "segments", path: "/segments" },
    { name: "segment-new", path: "/segments/new" },
    { name: "segment", path: `/segments/${segmentId}` },
    { name: "segment-members", path: `/segments/${segmentId}/contacts` },
    { name: "segment-new-dynamic", path: "/segments/new?type=dynamic" },
    { name: "segment-dynamic", path: `/segments/${dynamicId}` },
    { name: "segment-dynamic-members", path: `/segments/${dynamicId}/contacts` },
    { name: "segment-dynamic-conditions", path: `/segments/${dynamicId}/conditions` },
    { name: "segment-dynamic-why", path: `/segments/${dynamicId}/why/${contactIds[0]}` },
    { name: "imports", path: "/imports" },
    { name: "import", path: `/imports/${importId}` },
    { name: "import-new", path: "/imports/new" },
    { name: "import-mapping", path: draftPath },
    { name: "exports", path: "/exports" },
    { name: "export", path: `/exports/${exportId}` },
    { name: "export-new", path: "/exports/new" },
    { name: "workflows", path: "/workflows" },
    { name: "workflow-new", path: "/workflows/new" },
    { name: "workflow", path: workflowPath },
    { name: "users", path: "/admin/users" },
    { name: "api-keys", path: "/admin/api-keys" },
    { name: "custom-fields", path: "/admin/custom-fields" },
    { name: "password", path: "/account/password" },
  ];
}
