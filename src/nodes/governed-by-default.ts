import type { SchedulerLike } from 'rxjs';
import type { Model } from '../models/model.js';
import { governedModel, type GovernedModel } from '../models/governed-model.js';

const governors = new WeakMap<Model, GovernedModel>();

/** True for a model behind traffic control (a `governedModel`). */
export function isGoverned(model: Model): model is GovernedModel {
  return 'rateLimiter' in model && 'concurrency' in model;
}

/**
 * The provider behind traffic control: a governed model as is, else one shared governor per
 * provider object (created on first use, on the caller's scheduler), so that every node and run
 * using the same provider shares one quota and one adaptive concurrency limit.
 */
export function governed(model: Model, scheduler: SchedulerLike): Model {
  if (isGoverned(model)) return model;
  let governor = governors.get(model);
  if (!governor) governors.set(model, (governor = governedModel(model, { scheduler })));
  return governor;
}
