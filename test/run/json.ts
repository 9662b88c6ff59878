/** What survives a trip through JSON, as over a socket. */
export const JSON_roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
