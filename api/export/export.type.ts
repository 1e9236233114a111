import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum ExportKind {
  REQUESTS = 'requests',
  AUDIT = 'audit',
}

registerEnumType(ExportKind, { name: 'ExportKind', description: 'What the S3 export copies: the request ledger, or the admin audit trail.' });

@ObjectType('ExportKindStatus', { description: 'How far the S3 export of one kind of record has got.' })
export class ExportKindStatus {
  @Field(() => ExportKind)
  kind!: ExportKind;

  @Field(() => ID, { description: 'Id (seq) of the last record stored in S3; "0" when none has been.' })
  lastExportedId!: string;

  @Field(() => Date, { nullable: true, description: 'When the object holding lastExportedId was stored.' })
  lastExportedAt!: Date | null;

  @Field(() => Float, { description: 'Age in seconds of the oldest record not yet in S3; 0 when all are.' })
  lagSeconds!: number;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed; null once one succeeds.' })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When an exporter last tried this kind, successfully or not.' })
  lastAttemptAt!: Date | null;
}

@ObjectType('ExportStatus', { description: 'The record export to S3 (docs/export-schema.md), as Postgres records it, whichever gateway process exports.' })
export class ExportStatus {
  @Field(() => Boolean, { description: 'False until a gateway with TAILGATE_EXPORT_S3_BUCKET set has run the export against this database.' })
  active!: boolean;

  @Field(() => Float, { description: 'The largest lag of any kind, in seconds (the measure /metrics reports as tailgate_export_lag_seconds).' })
  lagSeconds!: number;

  @Field(() => String, { nullable: true, description: 'The last error of any kind, if one is failing.' })
  lastError!: string | null;

  @Field(() => [ExportKindStatus])
  kinds!: ExportKindStatus[];
}
