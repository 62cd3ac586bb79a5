export {
  AdaptiveAdmission,
  type AdaptiveDecision,
  AdaptivePolicy,
  type AdaptivePolicyInput,
  type AdmissionControl,
  type AdmissionSetting,
  type DownstreamHealth,
  nextAdmission,
} from './adaptive-admission';
export { AdmissionRateMeter } from './admission-rate';
export {
  AdmissionClaims,
  type AdmissionTokenRefusal,
  AdmissionTokens,
  type AdmissionTokensOptions,
  type AdmissionTokenVerdict,
} from './admission-tokens';
export {
  AnswerOptions,
  type AnswerOptionsInput,
  type AnswerState,
  type AnswerSubject,
  type WaitingRoomAnswer,
  waitingRoomAnswer,
} from './answer';
export { botGuardHook } from './bot-guard-hook';
export { cryptoRandomBelow, fairShuffle, type RandomBelow } from './fair-shuffle';
export { HealthMeter } from './health-meter';
export {
  InvitationClaims,
  InvitationLane,
  type InvitationRefusal,
  Invitations,
  type InvitationVerdict,
} from './invitations';
export {
  QueuePassClaims,
  QueuePasses,
  type QueuePassesOptions,
  type QueuePassRefusal,
  type QueuePassVerdict,
} from './queue-passes';
export {
  QueueingJoinInput,
  type QueueingJoinOutcome,
  QueueingRoom,
  type QueueingRoomOptions,
  type QueueingTickReport,
} from './queueing-room';
export {
  AdaptiveChange,
  type AdaptiveView,
  SaleAdaptiveAdmission,
  type SaleAdaptiveAdmissionOptions,
} from './sale-adaptive-admission';
export {
  type AdmittedUser,
  JoinContext,
  type JoinGuard,
  type JoinGuardRequest,
  type JoinGuardVerdict,
  JoinInput,
  type JoinOutcome,
  type QueueBroadcast,
  type ReadmitOutcome,
  type RejoinOutcome,
  SessionEndReason,
  type TickReport,
  type WaitEstimate,
  WaitingRoom,
  type WaitingRoomOptions,
  type WaitingStatus,
} from './waiting-room';
