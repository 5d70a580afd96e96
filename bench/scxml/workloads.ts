// The documents both interpreters run in the SCXML benchmark.

/** Two states toggled by one event, with an ECMAScript guard and an <assign>. */
export const TOGGLE = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="off">
  <datamodel><data id="count" expr="0"/></datamodel>
  <state id="off"><transition event="toggle" cond="count &lt; 1e15" target="on"><assign location="count" expr="count + 1"/></transition></state>
  <state id="on"><transition event="toggle" cond="count &lt; 1e15" target="off"><assign location="count" expr="count + 1"/></transition></state>
</scxml>`;

/**
 * A ~10-state strategy shape: a datamodel, nested and parallel states, onentry actions,
 * and one delayed send pending while the session waits (as a call waiting for an agent).
 */
export const STRATEGY = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="routing">
  <datamodel>
    <data id="caller" expr="'unknown'"/>
    <data id="attempts" expr="0"/>
    <data id="targets" expr="['sales', 'support']"/>
    <data id="result" expr="null"/>
  </datamodel>
  <state id="routing" initial="classify">
    <onentry><assign location="attempts" expr="attempts + 1"/></onentry>
    <state id="classify">
      <transition cond="attempts &gt; 3" target="overflow"/>
      <transition target="waiting"/>
    </state>
    <state id="waiting" initial="queued">
      <onentry><send event="wait.timeout" delay="3600s" id="waitTimer"/></onentry>
      <onexit><cancel sendid="waitTimer"/></onexit>
      <state id="queued"><transition event="agent.ready" target="offering"/></state>
      <state id="offering"><transition event="agent.rejected" target="queued"/><transition event="agent.accepted" target="connected"/></state>
      <transition event="wait.timeout" target="classify"/>
    </state>
    <state id="connected"><onentry><assign location="result" expr="({ target: targets[0], at: attempts })"/></onentry>
      <transition event="call.released" target="done"/></state>
    <state id="overflow"><transition event="call.released" target="done"/></state>
  </state>
  <parallel id="wrapup">
    <state id="survey"/>
    <state id="billing"/>
  </parallel>
  <final id="done"/>
</scxml>`;
