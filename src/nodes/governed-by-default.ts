import type { SchedulerLike } from 'rxjs';
import type { Model } from '../models/model.js';
import { governedModel, type GovernedModel } from '../models/governed-model.js';

/** One governor per provider and scheduler: a virtual-time test and a real run never share clocks. */
const governors = new WeakMap<Model, WeakMap<SchedulerLike, GovernedModel>>();

/** True for a model behind traffic control (a `governedModel`). */
export function isGoverned(model: Model): model is GovernedModel {
  return 'rateLimiter' in model && 'concurrency' in model;
}

/**
 * The provider behind traffic control: a governed model as is, else one shared governor per
 * provider object and scheduler (created on first use), so that every node and run using the same
 * provider on the same clock shares one quota and one adaptive concurrency limit.
 */
export function governed(model: Model, scheduler: SchedulerLike): Model {
  if (isGoverned(model)) return model;
  let byScheduler = governors.get(model);
  if (!byScheduler) governors.set(model, (byScheduler = new WeakMap()));
  let governor = byScheduler.get(scheduler);
  if (!governor) byScheduler.set(scheduler, (governor = governedModel(model, { scheduler })));
  return governor;
}
