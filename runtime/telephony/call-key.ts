// What a call is hashed by. Normally its own id; with `same-node-for-cons-prim-calls`
// a consultation call is hashed by the call it consults about, so both calls land on the
// same node and their sessions can see each other (ORS behaviour).
export interface CallIdentity {
  callId: string;
  callType?: 'inbound' | 'outbound' | 'internal' | 'consult';
  primaryCallId?: string | undefined;
}

export function placementKey(call: CallIdentity, sameNodeForConsultAndPrimary: boolean): string {
  if (sameNodeForConsultAndPrimary && call.callType === 'consult' && call.primaryCallId) {
    return call.primaryCallId;
  }
  return call.callId;
}
