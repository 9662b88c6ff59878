/**
 * Routing that learns: a Thompson-sampling {@link banditRouter} that plugs in wherever a router
 * goes, rewards from scorers or later {@link feedback}, A/B {@link experiment}s with their
 * {@link experimentReport}, and offline evaluation of candidate routers from run logs
 * ({@link evaluateRouters}). Posteriors persist in a `PosteriorStore` (rx-orchestra/store).
 * @module
 */
export { banditRouter, type BanditRouter, type BanditRouterOptions, type BanditArm, type BanditSelectContext, type BanditSelection, type ArmPosterior } from './bandit-router.js';
export type { Prior, BetaPrior, GaussianPrior } from './thompson.js';
export { successReward, schemaReward, costAwareReward, type ArmOutcome, type RewardFunction, type CostAwareRewardOptions } from './reward.js';
export { feedback, type FeedbackTarget, type RouterRewardedEvent } from './feedback.js';
export { experiment, type Experiment, type ExperimentOptions } from './experiment.js';
export { experimentReport, type ExperimentReport, type ExperimentArmReport, type ExperimentRequest, type ExperimentReportOptions } from './experiment-report.js';
export { evaluateRouters, type RouterEvaluation, type RouterEstimate, type RoutingPolicy, type LoggedDecision, type EvaluateRoutersOptions } from './evaluate-routers.js';
export type { RoutingLog, RoutingEvent, RouterChoseEvent, ExperimentAssignedEvent } from './routing-log.js';
export { RoutingError, isRoutingError, type RoutingErrorCode, type RoutingErrorDetails } from './errors.js';
