/** The durations and limits of forums (issue 13: core/forum.ts, node/forums*.ts, store/forums.ts), apart from constants.ts, which they would take past its size. */

const HOUR_MS = 60 * 60 * 1000;

export const FORUM = Object.freeze({
  /** A member's certificate: short, so a ban needs no revocation to end it, renewed while no ban stands (UCAN's short expiries). */
  MEMBER_CERT_MS: 7 * 24 * HOUR_MS,
  /** The owner's node renews a member's certificate once less than this is left. */
  RENEW_BEFORE_MS: 2 * 24 * HOUR_MS,
  /** How often the owner's node looks for certificates to renew. */
  RENEW_CHECK_MS: HOUR_MS,
  /** A moderator's certificate: limited, renewed only by the owner's hand. */
  MODERATOR_CERT_MS: 90 * 24 * HOUR_MS,
  /** The owner's own person key, certified by the forum's root when the forum is made. */
  OWNER_CERT_MS: 5 * 365 * 24 * HOUR_MS,
  /** How long an invitation token may be redeemed. */
  INVITE_MS: 7 * 24 * HOUR_MS,
  /** Open forums certify on join, at most this many people a minute each. */
  OPEN_JOINS_PER_MINUTE: 30,
  /** Longest forum name. */
  MAX_NAME_CHARS: 100,
  /** Most posts and acts one `forum read` or `forum log` lists. */
  MAX_LISTED: 500,
  /** Most node roots a forum lists as the only ones whose accounts it admits (one act stays small). */
  ROOTS_LISTED: 64,
  /** Longest reason a report of a post gives. */
  MAX_REPORT_CHARS: 500,
  /** Most reports one person makes in one forum in a window; the moderators' nodes count as the reporter's does. */
  REPORTS_PER_WINDOW: 5,
  REPORT_WINDOW_MS: HOUR_MS,
});
