// Parses every ```mermaid block of the Markdown files named on the command line with Mermaid's own parser (the
// jison flowchart grammar and the flowchart database that mermaid.parse runs, the very code a browser runs before
// drawing) and checks that each is a flowchart. Prints one line per block and closes on "N passed, M failed".
//
//   node check.mjs FILE...     exit 0: every block parses; 1: a block fails, or a file has no mermaid block or
//                              an unclosed one; 2: usage error (no file, unknown option, unreadable file)
//   node check.mjs --self-test checks the fixtures beside this script: every block in fixtures/valid/*.md must
//                              pass, and fixtures/invalid/*.md must fail exactly as their <!-- expect: TEXT -->
//                              comments say, in order (each failure's message contains every part of its TEXT,
//                              parts separated by " && ")
//   node check.mjs --version   the versions of mermaid and jsdom installed beside this script
//
// Mermaid's sanitizer (DOMPurify, which flowchart labels go through while parsing) needs a window: jsdom gives it
// one, set on globalThis before mermaid is loaded, as DOMPurify reads the global window when its module loads.
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const FLOWCHART_TYPES = new Set(["flowchart-v2", "flowchart"]);

function usage(message, showUsage = true) {
  if (message) console.error(`mermaid-check: ${message}`);
  if (showUsage) console.error("usage: node check.mjs FILE... | --self-test | --version");
  process.exit(2);
}

/** Fenced code blocks as CommonMark reads them (``` or ~~~, 3 or more, indented at most 3 spaces). Returns the
 * mermaid ones, each with its 1-based opening line, its text and whether its fence was closed. */
export function mermaidBlocks(markdown) {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  let fence = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!fence) {
      const open = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(line);
      if (!open || (open[2][0] === "`" && open[3].includes("`"))) continue;
      const language = open[3].trim().split(/\s+/)[0];
      fence = { indent: open[1].length, char: open[2][0], length: open[2].length, language, line: i + 1, body: [] };
      continue;
    }
    const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
    if (close && close[1][0] === fence.char && close[1].length >= fence.length) {
      if (fence.language === "mermaid") blocks.push({ line: fence.line, text: fence.body.join("\n") + "\n", closed: true });
      fence = null;
      continue;
    }
    // CommonMark strips from each content line as many leading spaces as the opening fence had.
    fence.body.push(line.replace(new RegExp(`^ {0,${fence.indent}}`), ""));
  }
  if (fence && fence.language === "mermaid") blocks.push({ line: fence.line, text: fence.body.join("\n"), closed: false });
  return blocks;
}

let mermaid;
let jsdomWindow;
async function loadMermaid() {
  if (mermaid) return mermaid;
  const { JSDOM } = await import("jsdom");
  jsdomWindow = new JSDOM("<!doctype html><html><body></body></html>").window;
  globalThis.window = jsdomWindow;
  globalThis.document = jsdomWindow.document;
  mermaid = (await import("mermaid")).default;
  mermaid.initialize({ startOnLoad: false });
  return mermaid;
}

function oneLine(text, max = 80) {
  const first = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return first.length > max ? first.slice(0, max) + "..." : first;
}

/** The parser's line number as a line of the Markdown file, when that is certain: mermaid removes front matter,
 * %%{directives}%% and %% comments before parsing, which would shift the lines, and the lexer can report a line
 * past the end of the text. */
function fileLine(block, error) {
  const line = error?.hash?.loc?.first_line ?? Number(/^Parse error on line (\d+)/.exec(error?.message ?? "")?.[1]);
  if (!Number.isInteger(line) || line < 1) return null;
  const bodyLines = block.text.replace(/\n$/, "").split("\n");
  if (/^\s*$/.test(bodyLines[0] ?? "") || bodyLines.some((l) => /^\s*(%%|---)/.test(l))) return null;
  return line <= bodyLines.length ? block.line + line : null;
}

/** Checks one block: null when it parses as a flowchart, else the reason. Also returns the detected type. */
async function checkBlock(block) {
  const m = await loadMermaid();
  let type = null;
  try {
    type = m.detectType(block.text);
  } catch {
    // reported by parse below, with mermaid's own message
  }
  try {
    const result = await m.parse(block.text);
    type = result.diagramType;
  } catch (error) {
    let message;
    if (error?.name === "UnknownDiagramError") {
      message = `no diagram type detected (first line: ${JSON.stringify(oneLine(block.text))})`;
    } else {
      const at = fileLine(block, error);
      message = `${error?.name && error.name !== "Error" ? error.name + ": " : ""}${error?.message ?? error}`;
      if (at) message = message.replace(/^Parse error on line (\d+)/, `Parse error on line $1 (file line ${at})`);
    }
    return { type, problem: message };
  }
  if (!FLOWCHART_TYPES.has(type)) {
    return { type, problem: `diagram type is ${type}, expected ${[...FLOWCHART_TYPES].join(" or ")}` };
  }
  return { type, problem: null };
}

/** Every outcome of one file, in order: { ok, label, message }. */
async function checkFile(path) {
  const blocks = mermaidBlocks(readFileSync(path, "utf8"));
  if (blocks.length === 0) return [{ ok: false, label: path, message: "no ```mermaid block" }];
  const outcomes = [];
  for (const [i, block] of blocks.entries()) {
    const label = `${path}: block ${i + 1} (line ${block.line})`;
    if (!block.closed) {
      outcomes.push({ ok: false, label, message: "the ```mermaid fence is never closed" });
      continue;
    }
    const { type, problem } = await checkBlock(block);
    outcomes.push(problem ? { ok: false, label, message: (type ? `${type}: ` : "") + problem } : { ok: true, label, message: `${type}, parses` });
  }
  return outcomes;
}

function indentMore(text) {
  return text.replace(/\n/g, "\n    ");
}

async function check(paths) {
  let passed = 0;
  let failed = 0;
  for (const path of paths) {
    for (const outcome of await checkFile(path)) {
      if (outcome.ok) {
        passed++;
        console.log(`${outcome.label}: ${outcome.message}`);
      } else {
        failed++;
        console.log(`FAIL ${outcome.label}: ${indentMore(outcome.message)}`);
      }
    }
  }
  console.log(`mermaid-check: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

/** The checker must be able to fail, and must fail for the right reason. */
async function selfTest() {
  const fixtures = join(HERE, "fixtures");
  const listing = (kind) =>
    readdirSync(join(fixtures, kind))
      .filter((name) => name.endsWith(".md"))
      .sort()
      .map((name) => join(fixtures, kind, name));
  const valid = listing("valid");
  const invalid = listing("invalid");
  let passed = 0;
  let failed = 0;
  const report = (ok, what) => {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? "" : "FAIL "}self-test ${what}`);
  };
  for (const path of valid) {
    const name = relative(HERE, path);
    const outcomes = await checkFile(path);
    for (const outcome of outcomes) {
      report(outcome.ok, `${outcome.label.replace(path, name)}: ${outcome.ok ? "passes" : "should pass but: " + indentMore(outcome.message)}`);
    }
  }
  for (const path of invalid) {
    const name = relative(HERE, path);
    const expected = [...readFileSync(path, "utf8").matchAll(/<!-- expect: (.*?) -->/g)].map((m) => m[1]);
    const outcomes = await checkFile(path);
    if (expected.length !== outcomes.length) {
      report(false, `${name}: ${expected.length} expected failures but ${outcomes.length} outcomes`);
    }
    for (const [i, outcome] of outcomes.entries()) {
      const label = outcome.label.replace(path, name);
      const want = expected[i];
      if (outcome.ok) report(false, `${label}: should fail (${want}) but ${outcome.message}`);
      else if (want === undefined || !want.split(" && ").every((part) => outcome.message.includes(part))) {
        report(false, `${label}: failed, but not with ${JSON.stringify(want)}: ${indentMore(outcome.message)}`);
      } else report(true, `${label}: fails as expected: ${oneLine(outcome.message, 140)}`);
    }
  }
  if (valid.length === 0 || invalid.length === 0) report(false, `found no fixtures in ${fixtures}`);
  console.log(`mermaid-check self-test: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

function versions() {
  const version = (name) => JSON.parse(readFileSync(join(HERE, "node_modules", name, "package.json"), "utf8")).version;
  console.log(`mermaid ${version("mermaid")}, jsdom ${version("jsdom")}`);
  return 0;
}

async function main(args) {
  if (args.length === 1 && args[0] === "--version") return versions();
  if (args.length === 1 && args[0] === "--self-test") return selfTest();
  if (args[0] === "--") args = args.slice(1);
  else if (args.some((a) => a.startsWith("-"))) usage(`unknown option ${args.find((a) => a.startsWith("-"))}`);
  if (args.length === 0) usage("no Markdown file given");
  for (const path of args) {
    try {
      readFileSync(path);
    } catch (error) {
      usage(`cannot read ${path}: ${error.code ?? error.message}`, false);
    }
  }
  return check(args);
}

let code;
try {
  code = await main(process.argv.slice(2));
} finally {
  jsdomWindow?.close();
}
process.exitCode = code;
