// Usage: node validate.mjs SCHEMA.xsd FILE.xml...
// Validates each XML file against the XML Schema with libxml2 (xmllint
// compiled to WebAssembly); prints the errors and exits 1 if one is invalid.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { validateXML } from "xmllint-wasm";

const [schemaPath, ...files] = process.argv.slice(2);
if (!schemaPath || files.length === 0) {
  console.error("usage: node validate.mjs SCHEMA.xsd FILE.xml...");
  process.exit(2);
}
const schema = { fileName: basename(schemaPath), contents: readFileSync(schemaPath, "utf8") };
let bad = 0;
for (const f of files) {
  const result = await validateXML({
    xml: [{ fileName: basename(f), contents: readFileSync(f, "utf8") }],
    schema: [schema],
    maxMemoryPages: 4096,
  });
  if (result.valid) {
    console.log(`${f}: valid`);
  } else {
    bad++;
    for (const e of result.errors) console.log(`${f}: ${e.rawMessage}`);
  }
}
process.exit(bad ? 1 : 0);
