// The strategy the runtime benchmarks run: one parameter, two states, every `go` event
// toggles between them and counts (an SCXML macrostep with a transition, an assign and
// an expression).
export const toggleScxml = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="idle">
  <datamodel><data id="customer" _type="parameter" expr="''"/><data id="count" expr="0"/></datamodel>
  <state id="idle"><transition event="go" target="busy"><assign location="count" expr="count + 1"/></transition></state>
  <state id="busy"><transition event="go" target="idle"><assign location="count" expr="count + 1"/></transition></state>
</scxml>`;
