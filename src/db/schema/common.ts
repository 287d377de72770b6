import type { ColumnType } from 'kysely';

export type { Generated } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
export type Json = ColumnType<JsonValue, string | JsonValue, string | JsonValue>;
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };


// Generated<Timestamp> / Generated<Json> would not unwrap the inner ColumnType on select, so
// columns with a database default spell their select/insert/update types out.
export type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type DefaultedJson = ColumnType<JsonValue, string | JsonValue | undefined, string | JsonValue>;
