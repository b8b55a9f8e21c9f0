/**
 * The frames of imcluster's WebSocket protocol (`docs/PROTOCOL.md`), as types: what the
 * server sends and what a client may send. Types only: no logic lives here.
 */

/** Message and group ids are Snowflake ids, served as decimal strings. */
export type Id = string;

/** One reaction on a message: the emoji, how many react with it, whether I do. */
export interface Reaction {
  emoji: string;
  count: number;
  me: boolean;
}

/** A chat message, as `message` frames, `sync` pages and history serve it. */
export interface ChatMessage {
  messageId: Id;
  tenantId?: string | null;
  fromUserId?: string | null;
  fromUserName?: string | null;
  toUserId?: string | null;
  groupId?: Id | null;
  content: string;
  messageType: number;
  source: number;
  /** 0 sent, 10 recalled. */
  state: number;
  isAnonymous: boolean;
  sendTime: string;
  extra: Record<string, unknown>;
  /** Only to the message's sender. */
  clientMsgId?: string | null;
  editVersion?: number;
  editedAt?: string;
  replyTo?: Id;
  replyPreview?: Record<string, unknown>;
  reactions?: Reaction[];
  forwardedFrom?: { messageId: Id; fromUserId?: string; sendTime: string };
  mentions?: { userIds: string[]; all: boolean };
  media?: Record<string, unknown>;
}

export interface WelcomeFrame {
  type: "welcome";
  connectionId: string;
  userId: string;
  tenantId: string | null;
  node: string;
  serverTime: string;
  heartbeatSeconds: number;
}

export interface AckFrame {
  type: "ack";
  id?: string | null;
  messageId?: Id;
  sendTime?: string;
  editVersion?: number;
  editedAt?: string;
  messageIds?: Id[];
  expiresIn?: number;
}

export interface ErrorFrame {
  type: "error";
  id?: string;
  code: string;
  message: string;
}

export interface SyncFrame {
  type: "sync";
  id?: string | null;
  messages: ChatMessage[];
  changes: ChatMessage[];
  hidden: Id[];
  next: string;
  more: boolean;
}

export interface MessageFrame {
  type: "message";
  message: ChatMessage;
}

/** Where a change happened: a group, or the other party of a private conversation. */
interface Conversation {
  groupId?: Id;
  peerUserId?: string;
}

export interface RecalledFrame extends Conversation {
  type: "recalled";
  messageId: Id;
  byUserId: string;
  byUserName?: string;
}

export interface EditedFrame extends Conversation {
  type: "edited";
  messageId: Id;
  content: string;
  editVersion: number;
  editedAt: string;
}

export interface ReactionFrame extends Conversation {
  type: "reaction";
  messageId: Id;
  emoji: string;
  userId: string;
  added: boolean;
  count: number;
}

export interface HiddenFrame {
  type: "hidden";
  messageId: Id;
}

export interface ReadFrame extends Conversation {
  type: "read";
  messageId: Id;
  readerUserId: string;
}

export interface TypingFrame {
  type: "typing";
  userId: string;
  groupId?: Id;
}

export interface PresenceFrame {
  type: "presence";
  userId: string;
  online: boolean;
  lastOnlineTime: string;
}

export interface NoticeFrame {
  type: "notice";
  kind: string;
  data: unknown;
}

export interface EventFrame {
  type: "event";
  method: string;
  data: unknown;
}

export interface NotificationFrame {
  type: "notification";
  notification: Record<string, unknown>;
}

export interface PongFrame {
  type: "pong";
  id?: string | null;
}

/** Every frame the server sends. */
export type ServerFrame =
  | WelcomeFrame
  | AckFrame
  | ErrorFrame
  | SyncFrame
  | MessageFrame
  | RecalledFrame
  | EditedFrame
  | ReactionFrame
  | HiddenFrame
  | ReadFrame
  | TypingFrame
  | PresenceFrame
  | NoticeFrame
  | EventFrame
  | NotificationFrame
  | PongFrame;

/** A message to send: to a user or to a group. */
export interface Outgoing {
  toUserId?: string;
  groupId?: Id;
  content: string;
  messageType?: number;
  isAnonymous?: boolean;
  extra?: Record<string, unknown>;
  replyTo?: Id;
  mentions?: { userIds?: string[]; all?: boolean };
  media?: Record<string, unknown>;
}
