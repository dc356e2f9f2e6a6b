/** What a client is told when the store cannot answer (StoreUnavailableError): no driver details. */
export const STORE_UNAVAILABLE_MESSAGE = "the event store is unavailable right now; retry shortly";
