/** Record export to S3 (issue #11): started and stopped by the process wiring, never on the hot path. */
export { RecordExporter, ExportError, EXPORT_LOCK_KEY, retryDelayMs, type RecordExporterOptions } from './exporter';
export { createExportS3Client, type ExportConfig } from './s3';
export { readExportStatus, type ExportKindStatus, type ExportStatus, type SqlQuery } from './status';
export { EXPORT_SCHEMA_VERSION, type ExportKind, type ExportRecord, type RequestExportRecord, type AuditExportRecord } from './records';
