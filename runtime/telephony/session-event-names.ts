// How call events reach a strategy: the SCXML event each telephony event becomes in the
// session that handles the call (ORS names where ORS has one). Pure.
import type { CallEvent } from './voice-messages.ts';
import type { ExternalEventLike } from './call-session-port.ts';

export function sessionEventFor(event: CallEvent): ExternalEventLike | undefined {
  const base = { callid: event.callId, seq: event.seq };
  switch (event.type) {
    case 'call.ringing':
      return { name: 'interaction.present', data: { ...base, routingpoint: event.routingPoint, udata: event.attachedData } };
    case 'call.established':
      return { name: 'interaction.established', data: { ...base, dn: event.dn } };
    case 'call.released':
      return { name: 'interaction.deleted', data: base };
    case 'call.attached-data-changed':
      return { name: 'interaction.udata.changed', data: { ...base, udata: event.attachedData } };
    case 'call.treatment-ended':
      return event.reason === 'completed'
        ? { name: 'dialog.playsound.done', data: { ...base, treatmentid: event.treatmentId } }
        : { name: 'error.dialog.playsound', data: { ...base, treatmentid: event.treatmentId, reason: event.reason } };
    case 'call.routed':
      return { name: 'interaction.routed', data: { ...base, target: event.target } };
    case 'call.abandoned':
      return { name: 'interaction.abandoned', data: base };
    case 'call.session-attached':
      return undefined;
  }
}
