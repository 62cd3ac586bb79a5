import { MemoryWaitingRoomStore } from '@seatrush/core/memory';
import { describeQueueingRoom, describeQueueingStore } from '../src';

describeQueueingStore('MemoryWaitingRoomStore', async () => ({ waitingRoom: new MemoryWaitingRoomStore() }));
describeQueueingRoom('MemoryWaitingRoomStore', async () => ({ store: new MemoryWaitingRoomStore() }));
