import type { CreatedAt, DefaultedJson, DefaultedTimestamp, Generated, Timestamp } from './common.js';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';

/** Durable background jobs (migrations/0020), run by src/jobs/job-runner.ts. */
export interface JobsTable {
  org_id: string;
  id: Generated<string>;
  unit_id: string;
  kind: string;
  subject: string;
  payload: DefaultedJson;
  status: Generated<JobStatus>;
  progress: DefaultedJson;
  attempts: Generated<number>;
  last_error: string | null;
  run_after: DefaultedTimestamp;
  lease_until: Timestamp | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
  finished_at: Timestamp | null;
}

export interface JobsTables {
  jobs: JobsTable;
}
