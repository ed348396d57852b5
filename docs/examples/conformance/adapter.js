// A conformance adapter for a JavaScript SSE parser (Node.js 18 or later).
//
// `ssec-proto conformance -- node adapter.js` runs the kit against the parser
// behind this script. It reads one JSON request per line on stdin and answers
// each with one JSON line on stdout (the protocol is on the docs page "Test
// your parser"). The parser here is a small one written for the example, after
// WHATWG HTML "Interpreting an event stream"; to test yours, change
// newParser() and the three lines that read its events and state.
"use strict";

const readline = require("node:readline");

class Parser {
  constructor() {
    // "Streams must be decoded using the UTF-8 decode algorithm", which
    // strips one leading BOM; stream: true keeps a character split across
    // chunks whole.
    this.decoder = new TextDecoder("utf-8");
    this.buffer = "";
    this.data = [];
    this.eventType = "";
    this.idBuffer = "";
    this.lastEventId = "";
    this.retry = null;
    this.afterCr = false;
  }

  feed(bytes) {
    let text = this.decoder.decode(bytes, { stream: true });
    if (text === "") return [];
    // A line ends at CR LF, LF or CR. A CR that ended the last chunk ended
    // its line at once; if this chunk opens with LF, the two were one CR LF.
    if (this.afterCr && text.startsWith("\n")) text = text.slice(1);
    this.afterCr = false;
    this.buffer += text;
    const events = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    let match;
    while ((match = lineEnd.exec(this.buffer)) !== null) {
      this.line(this.buffer.slice(start, match.index), events);
      start = lineEnd.lastIndex;
      this.afterCr = match[0] === "\r" && start === this.buffer.length;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  line(line, events) {
    if (line === "") {
      // Dispatch: the last event ID string takes the buffer's value; a block
      // without data dispatches nothing.
      this.lastEventId = this.idBuffer;
      if (this.data.length > 0) {
        events.push({ type: this.eventType || "message", data: this.data.join("\n"), id: this.lastEventId });
      }
      this.data = [];
      this.eventType = "";
      return;
    }
    if (line.startsWith(":")) return; // a comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.eventType = value;
    else if (field === "id" && !value.includes("\0")) this.idBuffer = value;
    else if (field === "retry" && /^[0-9]+$/.test(value)) this.retry = Number(value);
  }
}

function newParser() {
  return new Parser();
}

let parser = newParser();
const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on("line", (text) => {
  const request = JSON.parse(text);
  let answer;
  try {
    if (request.op === "new") {
      parser = newParser();
      answer = { last_event_id: parser.lastEventId, retry: parser.retry };
    } else if (request.op === "feed") {
      answer = { events: parser.feed(Buffer.from(request.data, "base64")) };
    } else {
      // "end": the stream is over; an event without its blank line is discarded.
      answer = { events: [], last_event_id: parser.lastEventId, retry: parser.retry };
    }
  } catch (error) {
    answer = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
