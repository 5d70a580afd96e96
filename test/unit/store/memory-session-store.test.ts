import { MemorySessionStore } from '../../../runtime/store/memory-session-store.ts';
import { describeSessionStoreContract } from '../../contracts/session-store-contract.ts';

describeSessionStoreContract('memory', async () => {
  const store = new MemorySessionStore();
  await store.open();
  return store;
});
