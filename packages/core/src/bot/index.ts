export {
  type BlockReason,
  BotGuard,
  type BotGuardPorts,
  BotRequest,
  type BotVerdict,
  type ChallengeReason,
} from './bot-guard';
export {
  BotGuardOptions,
  type BotGuardOptionsInput,
  type BotGuardSettings,
  parseBotGuardOptions,
  SuspicionAction,
} from './options';
export {
  checkProofOfWork,
  leadingZeroBits,
  PROOF_OF_WORK_ALGORITHM,
  ProofOfWorkChallenges,
  ProofOfWorkOptions,
  ProofOfWorkPrompt,
  solveProofOfWork,
} from './proof-of-work';
export { headersFingerprintOf, type SubjectKind, subjectOf } from './subjects';
