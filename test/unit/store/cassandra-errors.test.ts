import cassandra from 'cassandra-driver';
import { expect, test } from 'vitest';
import { isTransientCassandraError } from '../../../runtime/store/cassandra-store.ts';

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
