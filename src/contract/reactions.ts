/**
 * The fixed reaction set, as on X Spaces. A module of its own with no imports, so the browser app can use
 * the same list without bundling any server code.
 */
export type ReactionEmoji = (typeof REACTION_EMOJI)[number];
export const REACTION_EMOJI = [
  '💯',
  '👋',
  '✌️',
  '✊',
  '😂',
  '😢',
  '😲',
  '❤️',
  '🔥',
  '👏',
  '🙏',
  '👍',
  '👎',
] as const;
