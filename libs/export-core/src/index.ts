export * from './export.types';
export { ExportStore, type TransitionResult } from './export-store';
export { LocalDirStorage, type ExportStorage, type StorageWriter } from './storage';
export { signDownloadToken, verifyDownloadToken, type TokenCheck } from './download-token';
export { signWebhook, verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature';
export { toStatusBody, humanFileSize, downloadUrl, type ExportStatusBody, type DownloadLinkOptions } from './status-body';
export { bucketDates, resolveRelativeWindow, isoSeconds } from './time-window';
export { exportQueueOptions, createRedis, EXPORT_QUEUE_PREFIX, type QueueConfig } from './queue';
export { buildExportRecord, enqueueExport, newExportId, newScheduleId, submitExport } from './new-export';
