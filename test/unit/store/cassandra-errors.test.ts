import cassandra from 'cassandra-driver';
import { expect, test } from 'vitest';
import { isCassandraUnreachable, isTransientCassandraError } from '../../../runtime/store/cassandra-store.ts';

const { errors, types } = cassandra;

test('outages, timeouts and overload are transient; bad statements and auth failures are not', () => {
  expect(isTransientCassandraError(new errors.NoHostAvailableError({}))).toBe(true);
  expect(isTransientCassandraError(new errors.OperationTimedOutError('timed out'))).toBe(true);
  expect(isTransientCassandraError(new errors.ResponseError(types.responseErrorCodes.unavailableException, 'unavailable'))).toBe(true);
  expect(isTransientCassandraError(new errors.ResponseError(types.responseErrorCodes.writeTimeout, 'cas timeout'))).toBe(true);
  expect(isTransientCassandraError(new errors.ResponseError(types.responseErrorCodes.overloaded, 'overloaded'))).toBe(true);
  expect(isTransientCassandraError(new errors.ResponseError(types.responseErrorCodes.syntaxError, 'bad cql'))).toBe(false);
  expect(isTransientCassandraError(new errors.ResponseError(types.responseErrorCodes.unauthorized, 'no permission'))).toBe(false);
  expect(isTransientCassandraError(new errors.AuthenticationError('bad password'))).toBe(false);
  expect(isTransientCassandraError(new Error('something else'))).toBe(false);
});

test('opening waits for a Cassandra that is down or starting, and fails fast on configuration errors', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9042'), { code: 'ECONNREFUSED' });
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  expect(isCassandraUnreachable(new errors.NoHostAvailableError({ '127.0.0.1:9042': refused, '127.0.0.2:9042': refused }))).toBe(true);
  expect(isCassandraUnreachable(new errors.ResponseError(types.responseErrorCodes.isBootstrapping, 'bootstrapping'))).toBe(true);
  // Wrong credentials and TLS trouble reach the caller as NoHostAvailableError too.
  expect(isCassandraUnreachable(new errors.NoHostAvailableError({ '127.0.0.1:9042': new errors.AuthenticationError('bad password') }))).toBe(false);
  expect(isCassandraUnreachable(new errors.NoHostAvailableError({ '127.0.0.1:9042': refused, '127.0.0.2:9042': reset }))).toBe(false);
  expect(isCassandraUnreachable(new errors.NoHostAvailableError({}, 'No host could be resolved'))).toBe(false);
  expect(isCassandraUnreachable(new errors.ResponseError(types.responseErrorCodes.unauthorized, 'no permission'))).toBe(false);
  expect(isCassandraUnreachable(new Error('something else'))).toBe(false);
});
