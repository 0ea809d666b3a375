import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  allConditionsHold,
  conditionHolds,
  describeCondition,
  normalizeText,
  validateCondition,
  valuesAtPath,
  type Condition,
} from "../../src/workflows/conditions";

const purchase = {
  order_id: "o-42",
  total: 349.9,
  currency: "EUR",
  products: [
    { id: "17", name: "Standing desk", category: "Office Furniture", price: 299.9, quantity: 1 },
    { id: "mat-1", name: "Chair mat", category: "Accessoires d'été", price: 50, quantity: 2 },
  ],
};

const holds = (path: string, operator: Condition["operator"], value: string, properties: unknown = purchase) =>
  conditionHolds({ path, operator, value }, properties);

describe("conditionHolds", () => {
  test("the product search example from the brief", () => {
    const properties = { query: "desk", product: { name: "Desk", category: "Office Furniture" } };
    const conditions: Condition[] = [
      { path: "query", operator: "contains", value: "desk" },
      { path: "product.category", operator: "equals", value: "office furniture" },
    ];
    assert.equal(allConditionsHold(conditions, properties), true);
    assert.equal(allConditionsHold([...conditions, { path: "product.name", operator: "equals", value: "lamp" }], properties), false);
  });

  test("equals folds case, accents and spaces", () => {
    assert.equal(holds("currency", "equals", "eur"), true);
    assert.equal(holds("currency", "equals", " EUR "), true);
    assert.equal(holds("currency", "equals", "usd"), false);
    assert.equal(holds("products.category", "equals", "accessoires d'ete"), true);
    assert.equal(holds("city", "equals", "sao paulo", { city: "São  Paulo" }), true);
    assert.equal(holds("city", "equals", "São Paulo", { city: "Sao Paulo" }), true);
  });

  test("equals on numbers compares as numbers, text stays text", () => {
    assert.equal(holds("total", "equals", "349.90"), true);
    assert.equal(holds("total", "equals", "349"), false);
    assert.equal(holds("zip", "equals", "7", { zip: "007" }), false);
    assert.equal(holds("paid", "equals", "TRUE", { paid: true }), true);
  });

  test("array paths hold if ANY element matches", () => {
    assert.equal(holds("products.category", "equals", "office furniture"), true);
    assert.equal(holds("products.category", "equals", "kitchen"), false);
    assert.equal(holds("products.name", "contains", "MAT"), true);
    assert.equal(holds("products.price", "greater_than", "100"), true);
    assert.equal(holds("products.price", "greater_than", "300"), false);
    assert.equal(holds("products.quantity", "less_than", "2"), true);
    assert.equal(holds("tags", "in_list", "gift, vip", { tags: ["new", "VIP"] }), true);
    assert.equal(holds("a.b.c", "equals", "x", { a: [{ b: [{ c: "y" }, { c: "X" }] }] }), true);
  });

  test("not_equals holds when NO value equals, including a missing path", () => {
    assert.equal(holds("currency", "not_equals", "usd"), true);
    assert.equal(holds("currency", "not_equals", "Eur"), false);
    assert.equal(holds("products.category", "not_equals", "office furniture"), false);
    assert.equal(holds("products.category", "not_equals", "kitchen"), true);
    assert.equal(holds("coupon", "not_equals", "summer"), true);
  });

  test("contains is a case- and accent-insensitive substring", () => {
    assert.equal(holds("query", "contains", "Bureau", { query: "petit bureau étudiant" }), true);
    assert.equal(holds("query", "contains", "ETUDIANT", { query: "petit bureau étudiant" }), true);
    assert.equal(holds("query", "contains", "chaise", { query: "petit bureau étudiant" }), false);
    assert.equal(holds("query", "contains", "", { query: "anything" }), false);
  });

  test("greater_than and less_than parse the typed value and numeric strings", () => {
    assert.equal(holds("total", "greater_than", "100"), true);
    assert.equal(holds("total", "greater_than", "349.9"), false);
    assert.equal(holds("total", "less_than", "349.91"), true);
    assert.equal(holds("total", "less_than", "-1"), false);
    assert.equal(holds("total", "greater_than", "12", { total: "49.90" }), true);
    assert.equal(holds("total", "greater_than", "abc"), false);
    assert.equal(holds("total", "greater_than", "", { total: 1 }), false);
    assert.equal(holds("currency", "greater_than", "0"), false);
    assert.equal(holds("paid", "greater_than", "0", { paid: true }), false);
  });

  test("in_list splits on commas, ignores blanks, folds case and accents", () => {
    assert.equal(holds("currency", "in_list", "usd, eur"), true);
    assert.equal(holds("currency", "in_list", "usd,,gbp,"), false);
    assert.equal(holds("city", "in_list", "lyon, montreal", { city: "Montréal" }), true);
    assert.equal(holds("total", "in_list", "10, 349.90"), true);
  });

  test("missing paths and non-scalar leaves never match", () => {
    assert.equal(holds("nope", "equals", "x"), false);
    assert.equal(holds("products", "equals", "x"), false);
    assert.equal(holds("total.value", "equals", "349.9"), false);
    assert.equal(holds("constructor", "equals", "x", {}), false);
    assert.equal(holds("x", "equals", "x", null), false);
  });

  test("no conditions always holds", () => {
    assert.equal(allConditionsHold([], purchase), true);
  });
});

test("valuesAtPath flattens arrays at every step", () => {
  assert.deepEqual(valuesAtPath(purchase, "products.id"), ["17", "mat-1"]);
  assert.deepEqual(
    valuesAtPath(
      {
        a: [
          [1, 2],
          [3, null, { b: 1 }],
        ],
      },
      "a",
    ),
    [1, 2, 3],
  );
});

test("normalizeText", () => {
  assert.equal(normalizeText("  Ça  Crée\tÉTÉ "), "ca cree ete");
});

describe("validateCondition", () => {
  test("valid rows have no errors", () => {
    assert.deepEqual(validateCondition({ path: "product.category", operator: "equals", value: "Office" }), {});
    assert.deepEqual(validateCondition({ path: "total", operator: "greater_than", value: " 12.5 " }), {});
    assert.deepEqual(validateCondition({ path: "currency", operator: "in_list", value: "EUR, USD" }), {});
  });

  test("names each bad field", () => {
    assert.deepEqual(validateCondition({ path: " ", operator: "equals", value: "" }), {
      path: "Enter a property, like product.category",
      value: "Enter a value",
    });
    assert.deepEqual(validateCondition({ path: "product..category", operator: "between", value: "x" }), {
      path: "Use property names separated by dots, like product.category",
      operator: "Choose a comparison",
    });
    assert.deepEqual(validateCondition({ path: "total", operator: "greater_than", value: "1,5" }), { value: "Enter a number, like 100 or 12.5" });
    assert.deepEqual(validateCondition({ path: "total", operator: "less_than", value: "ten" }), { value: "Enter a number, like 100 or 12.5" });
    assert.deepEqual(validateCondition({ path: "currency", operator: "in_list", value: " , ," }), { value: "Enter one or more values separated by commas" });
    assert.deepEqual(validateCondition({}), {
      path: "Enter a property, like product.category",
      operator: "Choose a comparison",
      value: "Enter a value",
    });
  });
});

test("describeCondition", () => {
  assert.equal(describeCondition({ path: "product.category", operator: "equals", value: "office furniture" }), 'product.category equals "office furniture"');
  assert.equal(describeCondition({ path: " query ", operator: "contains", value: " Desk " }), 'query contains "Desk"');
  assert.equal(describeCondition({ path: "currency", operator: "not_equals", value: "USD" }), 'currency does not equal "USD"');
  assert.equal(describeCondition({ path: "total", operator: "greater_than", value: "100" }), "total is greater than 100");
  assert.equal(describeCondition({ path: "total", operator: "less_than", value: "12.5" }), "total is less than 12.5");
  assert.equal(describeCondition({ path: "currency", operator: "in_list", value: "EUR, usd,," }), 'currency is one of "EUR", "usd"');
  assert.equal(describeCondition({ path: "form", operator: "equals", value: 'say "hi"' }), 'form equals "say \\"hi\\""');
});
