// Copies the pinned front-end files from node_modules into public/vendor, so the app serves exactly the installed versions.
import { copyFileSync, mkdirSync, existsSync } from "node:fs";

const files = [
  ["node_modules/htmx.org/dist/htmx.min.js", "public/vendor/htmx.min.js"],
  ["node_modules/@picocss/pico/css/pico.min.css", "public/vendor/pico.min.css"],
];
mkdirSync("public/vendor", { recursive: true });
for (const [from, to] of files) {
  if (existsSync(from)) copyFileSync(from, to);
}
