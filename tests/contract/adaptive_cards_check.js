// Parses Adaptive Cards with Microsoft's own library (npm `adaptivecards`) and reports, per card, what it
// refused or dropped. Input on stdin: a JSON array of cards. Output: a JSON array, one entry per card:
// {"events": [parse and validation messages], "dropped": [element types in the card that the library
// did not keep when it serialized the card again]}. An empty entry is a card Teams' renderer accepts whole.
const AC = require("adaptivecards/dist/adaptivecards.js");

function types(node, out) {
  if (Array.isArray(node)) node.forEach((n) => types(n, out));
  else if (node && typeof node === "object") {
    if (typeof node.type === "string") out.push(node.type);
    for (const [k, v] of Object.entries(node)) if (k !== "msteams") types(v, out);
  }
  return out;
}

let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => {
  const cards = JSON.parse(input);
  const report = cards.map((json) => {
    const card = new AC.AdaptiveCard();
    const ctx = new AC.SerializationContext();
    card.parse(json, ctx);
    const events = [];
    for (let i = 0; i < ctx.eventCount; i++) events.push(ctx.getEventAt(i).message);
    for (const e of card.validateProperties().validationEvents) events.push(e.message);
    const kept = types(card.toJSON(), []);
    const dropped = types(json, []).filter((t) => {
      const i = kept.indexOf(t);
      if (i < 0) return true;
      kept.splice(i, 1);
      return false;
    });
    return { events, dropped };
  });
  process.stdout.write(JSON.stringify(report));
});
