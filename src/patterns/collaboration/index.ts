/**
 * Peer collaboration (seed 004's third pattern): peers message each other over a typed bus, with
 * no supervisor in between, until a termination condition or a turn limit; each turn is an event,
 * and every model call is governed and budgeted like an `llm()` call.
 * @module
 */
export { collaboration, type CollaborationOptions, type CollaborationResult, type CollaborationRun, type ConversationState } from './collaboration.js';
export { peer, type Peer, type ModelPeer, type CodePeer, type PeerTurnContext } from './peer.js';
export { collaborationTopics, type PeerMessage, type CollaborationBus } from './message.js';
export { CollaborationError, isCollaborationError, type CollaborationErrorCode } from './errors.js';
