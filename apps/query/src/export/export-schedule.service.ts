import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ExportStore, JOB, newScheduleId, scheduleWebhookSecret, webhookUrlProblem, type ScheduledExportJobData, type ScheduleRecord } from '@app/export-core';
import { parseTimeZone, ValidationError, type Tenant } from '../common';
import type { CreateScheduleDto, ScheduleDto } from './export.dto';
import { ScheduleNotFoundError } from './export.errors';
import { EXPORT_QUEUE } from './export.providers';
import { ExportService, storeCall } from './export.service';

/** Runs looked at when measuring how often a cron fires (irregular ones like `0,1 * * * *` too). */
const RUNS_CHECKED = 60;

/**
 * Checked with the parser BullMQ itself uses (same version), before anything is stored. Each run
 * is a full export, so a schedule may not run more often than `minIntervalSeconds`: otherwise one
 * `* * * * * *` schedule would make 86,400 exports a day past the export creation limit.
 */
function assertCron(cron: string, tz: string, minIntervalSeconds: number): void {
  let runs: number[];
  try {
    const expression = CronExpressionParser.parse(cron, { tz, currentDate: new Date() });
    runs = Array.from({ length: RUNS_CHECKED }, () => expression.next().getTime());
  } catch {
    throw new ValidationError('cron', 'is not a valid cron expression');
  }
  const shortestGapMs = Math.min(...runs.slice(1).map((t, i) => t - runs[i]));
  if (shortestGapMs < minIntervalSeconds * 1000) {
    throw new ValidationError('cron', `runs more often than once every ${minIntervalSeconds} seconds`);
  }
}

/** Scheduled reports: a BullMQ job scheduler per schedule; each tick becomes a normal export in the worker. */
@Injectable()
export class ExportScheduleService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ExportStore,
    @Inject(EXPORT_QUEUE) private readonly queue: Queue,
    private readonly exports: ExportService,
  ) {}

  async create(tenant: Tenant, body: CreateScheduleDto): Promise<ScheduleDto> {
    const timezone = parseTimeZone(body.timezone);
    assertCron(body.cron, timezone, this.config.EXPORT_SCHEDULE_MIN_INTERVAL_SECONDS);
    const existing = await storeCall(() => this.store.countSchedules(tenant.accountId, tenant.livemode));
    if (existing >= this.config.EXPORT_SCHEDULES_PER_ACCOUNT) {
      throw new ValidationError('schedule', `at most ${this.config.EXPORT_SCHEDULES_PER_ACCOUNT} schedules per account; delete one first`);
    }
    // Literal private hosts are refused here; names are checked again at each delivery's lookup.
    const webhookProblem = body.webhook_url ? webhookUrlProblem(body.webhook_url, this.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS) : undefined;
    if (webhookProblem) throw new ValidationError('webhook_url', webhookProblem);
    const { time_period: window, ...exportBody } = body.export;
    // An export without its own zone takes the schedule's: "previous_month" for a Berlin schedule
    // ticking at 00:00 on the 1st (23:00 UTC the day before) is the Berlin month just ended, and
    // its days are Berlin days.
    const spec = await this.exports.resolveSpec(tenant, { ...exportBody, timezone: exportBody.timezone ?? timezone }, false);
    const schedule: ScheduleRecord = {
      schedule_id: newScheduleId(),
      account_id: tenant.accountId,
      livemode: tenant.livemode,
      name: body.name,
      cron: body.cron.trim().replace(/\s+/g, ' '),
      timezone,
      export: { ...spec, time_period: window },
      ...(body.webhook_url ? { webhook_url: body.webhook_url } : {}),
      created_at: new Date().toISOString(),
    };
    const data: ScheduledExportJobData = { schedule_id: schedule.schedule_id };
    // The record first: a scheduler without one (its save failed) ticked for ever with nothing to
    // run and no id the client could delete (found in review). A record whose scheduler could not
    // be created is removed again; if that fails too, it is listed with next_run_at null and can
    // be deleted.
    await storeCall(async () => {
      await this.store.saveSchedule(schedule);
      try {
        await this.queue.upsertJobScheduler(schedule.schedule_id, { pattern: schedule.cron, tz: timezone }, { name: JOB.scheduledExport, data });
      } catch (err) {
        await this.store.deleteSchedule(schedule).catch(() => undefined);
        throw err;
      }
    });
    return this.toDto(schedule);
  }

  async list(tenant: Tenant): Promise<{ data: ScheduleDto[] }> {
    const schedules = await storeCall(() => this.store.listSchedules(tenant.accountId, tenant.livemode));
    return { data: await Promise.all(schedules.map((s) => this.toDto(s))) };
  }

  async get(tenant: Tenant, id: string): Promise<ScheduleDto> {
    return this.toDto(await this.owned(tenant, id));
  }

  async remove(tenant: Tenant, id: string): Promise<void> {
    const schedule = await this.owned(tenant, id);
    await storeCall(async () => {
      await this.queue.removeJobScheduler(schedule.schedule_id);
      await this.store.deleteSchedule(schedule);
    });
  }

  private async owned(tenant: Tenant, id: string): Promise<ScheduleRecord> {
    if (!/^sched_[0-9a-f]{16}$/.test(id)) throw new ScheduleNotFoundError();
    const schedule = await storeCall(() => this.store.getSchedule(id));
    if (!schedule || schedule.account_id !== tenant.accountId || schedule.livemode !== tenant.livemode) throw new ScheduleNotFoundError();
    return schedule;
  }

  private async toDto(s: ScheduleRecord): Promise<ScheduleDto> {
    const scheduler = await this.queue.getJobScheduler(s.schedule_id).catch(() => undefined);
    const next = scheduler?.next;
    return {
      schedule_id: s.schedule_id,
      name: s.name,
      cron: s.cron,
      timezone: s.timezone,
      export: s.export,
      ...(s.webhook_url ? { webhook_url: s.webhook_url, webhook_secret: scheduleWebhookSecret(this.config.WEBHOOK_SIGNING_SECRET, s.schedule_id) } : {}),
      created_at: s.created_at,
      next_run_at: next ? new Date(next).toISOString() : null,
    };
  }
}
