export { HookedPublisher, type HookedPublisherOptions } from './hooked-publisher';
export {
  describeHookError,
  type HookErrorHandler,
  type ReservationHookRef,
  SALE_HOOK_NAMES,
  type SaleHookEvent,
  type SaleHookHandler,
  type SaleHookName,
  type SaleHookPayloads,
  SaleHooks,
  type SaleHooksOptions,
} from './sale-hooks';
