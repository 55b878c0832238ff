/** A space: its stage, listeners, reactions, requests and audio, in whatever state it is. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { EventOf, ReactionEmoji, SpaceView, StageMemberView, UserView } from '../api/types.js';
import { ActionBar } from '../components/ActionBar.js';
import { FloatingReactions } from '../components/FloatingReactions.js';
import { HostMenu } from '../components/HostMenu.js';
import { InvitationBanner } from '../components/InvitationBanner.js';
import { ListenerPanel } from '../components/ListenerPanel.js';
import { ListenerFaces } from '../components/ListenerFaces.js';
import { MemberActions } from '../components/MemberActions.js';
import { MicPanel } from '../components/MicPanel.js';
import { RequestQueue } from '../components/RequestQueue.js';
import { ScheduledPanel } from '../components/ScheduledPanel.js';
import { BackstageBanner, StartingSoon } from '../components/BackstageBanner.js';
import { SpaceHeader } from '../components/SpaceHeader.js';
import { EndedNotice, NotFoundNotice, RefusedNotice, UnavailableNotice } from '../components/SpaceNotice.js';
import { StageGrid } from '../components/StageGrid.js';
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import { toast } from '../lib/toast.js';
import { useListenerTicket } from '../space/useListenerTicket.js';
import { useReactions } from '../space/useReactions.js';
import { useSpaceView } from '../space/useSpaceView.js';
import { useStageAudio } from '../space/useStageAudio.js';
import { useStageRequests } from '../space/useStageRequests.js';
import { stageMessage } from '../space/stageMessages.js';
import { useConnection } from '../space/useConnection.js';
import { usePins } from '../space/usePins.js';
import { PinnedPosts } from '../components/PinnedPosts.js';
import { Icon } from '../components/Icon.js';
import { TimeShiftPlayer } from '../components/TimeShiftPlayer.js';
import { nowPlaying } from '../audio/NowPlaying.js';
import { match } from '../lib/router.js';
import { LeaveDialog } from '../components/LeaveDialog.js';
import { ConnectionLost } from '../components/ConnectionLost.js';
import { ClipButton } from '../components/ClipButton.js';

const NOBODY: ReadonlySet<string> = new Set();

export function SpacePage({ id }: { id: string }) {
  const session = useSession();
  const meId = session?.user.id ?? null;
  const [removed, setRemoved] = useState(false);
  const [panel, setPanel] = useState<'listeners' | null>(null);
  const [leaving, setLeaving] = useState(false);
  /** Time-shift: playing the recording so far instead of the live edge. */
  const [shifted, setShifted] = useState(false);
  /** People this page's moderator removed: gone from the listener list at once. */
  const [removedIds, setRemovedIds] = useState<ReadonlySet<string>>(new Set());
  const [picked, setPicked] = useState<UserView | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const requestsRef = useRef<{ setAsked: (b: boolean) => void } | null>(null);
  // Back from the mini player: its seat and its playing player are this page's again.
  const [handed] = useState(() => {
    const back = nowPlaying.takeBack(id);
    if (!back) nowPlaying.stop(); // another space was playing: one at a time
    return back;
  });
  /** Set by the page's own Leave: the listener wants silence, not the mini player. */
  const leavingRef = useRef(false);
  const handOffRef = useRef<() => void>(() => undefined);
  // Declared before the audio hooks, so it runs before their cleanups close the player.
  useEffect(() => () => handOffRef.current(), []);

  const onStageChange = useCallback(
    (e: EventOf<'stage.changed'>, before: SpaceView | null) => {
      const msg = stageMessage(e, before, meId);
      if (msg.mine !== null) toast(msg.mine);
      setAnnouncement(msg.all ?? '');
      if (e.userId === meId && e.cause === 'joined') requestsRef.current?.setAsked(false);
    },
    [meId],
  );
  const view = useSpaceView(id, { onStage: onStageChange, onRemoved: () => setRemoved(true) });
  const space = view.space;
  const live = space?.state === 'live';
  /** Before go-live: the stage talks among itself, listeners wait (BackstageBanner). */
  const backstage = space?.state === 'backstage';
  const ended = space?.state === 'ended' || space?.state === 'cancelled';
  const me: StageMemberView | undefined = space?.stage.find((m) => m.id === meId);
  const onStage = me !== undefined;
  const isHost = meId !== null && space?.host.id === meId;
  const moderator = me?.role === 'host' || me?.role === 'cohost';

  const [playlistUrl, setPlaylistUrl] = useState<string | null>(null);
  const audio = useStageAudio({
    spaceId: id,
    // In a backstage the stage's mics work; a waiting listener's player starts only on go-live.
    live: live || (backstage && onStage),
    ended: ended || removed,
    onStage,
    muted: me?.muted ?? true,
    // While time-shifted the live player rests; the seat (ticket) stays.
    playlistUrl: shifted ? null : playlistUrl,
    adopted: handed?.player,
  });
  // A listener on stage keeps hearing the broadcast until the WHIP mix plays; the host never listens.
  const wasListener = useRef(false);
  // A backstage's listeners hold a ticket too: they are counted as waiting, and play as soon as it is live.
  const wantTicket =
    (live || backstage) && !removed && (!onStage || (live && wasListener.current && audio.mic !== 'live'));
  const ticket = useListenerTicket(
    id,
    wantTicket,
    () => void view.reload(),
    handed ? { ticket: handed.ticket, admission: handed.admission } : undefined,
  );
  useEffect(() => {
    const s = ticket.state;
    if (s.status === 'admitted') wasListener.current = true;
    setPlaylistUrl(s.status === 'admitted' ? s.admission.playlistUrl : null);
    // Removed earlier and back after a reload: the refused join says so; show the removed state alone.
    if (s.status === 'refused' && s.code === 'removed_from_space') setRemoved(true);
  }, [ticket.state]);
  const connection = useConnection(ticket.offline);

  const pins = usePins(id, live || backstage || space?.state === 'scheduled');
  // Time-shift ends by itself when there is no live space to shift in, or when the listener goes on stage.
  useEffect(() => {
    if (shifted && (!live || onStage)) setShifted(false);
  }, [shifted, live, onStage]);
  const requests = useStageRequests(id, meId, moderator);
  requestsRef.current = requests;
  const reactions = useReactions(id, meId);

  useEffect(() => {
    if (space) document.title = `${space.title} — Rostra`;
  }, [space?.title]);

  if (view.status === 'loading')
    return (
      <main id="main" class="page space" aria-busy="true">
        <div class="card skeleton tall" aria-label="Loading the space" />
      </main>
    );
  if (view.status === 'not_found' || !space)
    return (
      <main id="main" class="page space">
        {view.status === 'error' ? (
          <p class="notice notice-error" role="alert">
            {view.error}{' '}
            <button class="btn btn-sm btn-outline" onClick={() => void view.reload()}>
              Retry
            </button>
          </p>
        ) : (
          <NotFoundNotice />
        )}
      </main>
    );

  const react = (emoji: ReactionEmoji) => {
    if (backstage) {
      toast('Reactions start when the space goes live.');
      return;
    }
    if (!session && ticket.ticket() === undefined) {
      toast('Listen first, or sign in, to react.');
      return;
    }
    reactions.show(emoji);
    api.react(id, emoji, ticket.ticket()).catch((err: unknown) => toast(describeError(err)));
  };
  const toggleMic = async () => {
    if (!me) return;
    try {
      if (!me.muted && audio.mic !== 'live') {
        // "Mic off": the server has us unmuted but the mic is not connected; connect it.
        await audio.turnOnMic();
        return;
      }
      if (me.muted) {
        if (audio.mic !== 'live' && audio.mic !== 'connecting') {
          // Unmute as soon as the mic is allowed; the connection may still be on its way.
          const allowed = await new Promise<boolean>((resolve) => {
            void audio.turnOnMic(() => resolve(true)).then(resolve);
          });
          if (!allowed) return;
        }
        await api.userAction(id, me.id, 'unmute');
      } else await api.userAction(id, me.id, 'mute');
    } catch (err) {
      toast(describeError(err));
    }
  };
  const toggleHand = async () => {
    if (!session) {
      navigate(`/signin?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    try {
      if (requests.asked) {
        await api.cancelRequest(id);
        requests.setAsked(false);
        toast('Request withdrawn.');
      } else {
        await api.requestToSpeak(id);
        requests.setAsked(true);
        toast('Request sent. The host will see it.');
      }
    } catch (err) {
      toast(describeError(err));
    }
  };
  const share = async () => {
    const url = `${location.origin}/s/${id}`;
    try {
      if (navigator.share && matchMedia('(pointer: coarse)').matches)
        await navigator.share({ title: space.title, url });
      else {
        await navigator.clipboard.writeText(url);
        toast('Link copied.');
      }
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'AbortError')) toast(`Copy this link: ${url}`, 8000);
    }
  };
  handOffRef.current = () => {
    // Browsing elsewhere in the app keeps the space playing in the mini player (not for speakers).
    if (leavingRef.current || !live || removed || onStage || !space) return;
    if (match(location.pathname).name === 'space') return; // another space opens: it plays instead
    const player = audio.releaseListening();
    if (!player) return;
    const seat = ticket.release();
    if (!seat) {
      player.stop();
      return;
    }
    nowPlaying.handOff({ spaceId: id, title: space.title, player, ...seat });
  };
  const leave = async () => {
    leavingRef.current = true;
    // The host chooses: end it for everyone, or leave it to the co-hosts (it ends by itself later).
    if (isHost) {
      setLeaving(true);
      return;
    }
    if (onStage) await api.leaveStage(id).catch((err: unknown) => console.warn('leave-stage failed', err));
    navigate('/');
  };
  const opener = (m: StageMemberView) =>
    meId !== null && (m.id === meId || (moderator && m.role !== 'host')) ? () => setPicked(m) : undefined;
  const t = ticket.state;

  return (
    <main id="main" class="page space">
      <a href="/" class="back-link">
        ← All spaces
      </a>
      <SpaceHeader
        space={space}
        onListeners={() => setPanel('listeners')}
        lost={live && !removed && connection.lost}
      />
      {live && !removed && connection.lost && <ConnectionLost />}
      <p class="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {removed ? (
        <RefusedNotice code="removed_from_space" message="You were removed from this space." />
      ) : ended ? (
        <>
          <EndedNotice space={space} />
          {isHost && (
            <p class="host-after">
              <a class="btn btn-outline" href={`/s/${id}/analytics`}>
                See this space’s analytics
              </a>
            </p>
          )}
        </>
      ) : backstage ? (
        onStage ? (
          <BackstageBanner space={space} moderator={moderator} onChanged={() => void view.reload()} />
        ) : (
          <StartingSoon space={space} />
        )
      ) : space.state === 'scheduled' ? (
        <ScheduledPanel space={space} isHost={isHost} onChanged={() => void view.reload()} />
      ) : t.status === 'unavailable' ? (
        <UnavailableNotice u={t.unavailable} onRetry={ticket.retryNow} space={space} signedIn={!!session} />
      ) : t.status === 'refused' ? (
        <RefusedNotice code={t.code} message={t.message} />
      ) : null}
      {backstage && !removed && requests.invitedBy && !onStage && (
        <InvitationBanner spaceId={id} by={requests.invitedBy} onDone={requests.clearInvitation} />
      )}
      {backstage && !removed && moderator && (
        <RequestQueue spaceId={id} queue={requests.queue} onAnswered={requests.dropFromQueue} />
      )}
      {backstage && !removed && onStage && me && (
        <MicPanel
          state={audio.mic}
          message={audio.micMessage}
          role={me.role === 'cohost' ? 'co-host' : me.role}
          onTurnOn={() => void audio.turnOnMic()}
        />
      )}
      {live && !removed && (
        <>
          {requests.invitedBy && !onStage && (
            <InvitationBanner spaceId={id} by={requests.invitedBy} onDone={requests.clearInvitation} />
          )}
          {moderator && (
            <RequestQueue spaceId={id} queue={requests.queue} onAnswered={requests.dropFromQueue} />
          )}
          {onStage && me && (
            <MicPanel
              state={audio.mic}
              message={audio.micMessage}
              role={me.role === 'cohost' ? 'co-host' : me.role}
              onTurnOn={() => void audio.turnOnMic()}
            />
          )}
          {shifted ? (
            <TimeShiftPlayer spaceId={id} onBackToLive={() => setShifted(false)} />
          ) : (
            !onStage &&
            space.record &&
            t.status === 'admitted' && (
              <button type="button" class="btn btn-outline btn-block" onClick={() => setShifted(true)}>
                <Icon name="rewind" size={16} /> Start from the beginning
              </button>
            )
          )}
          {audio.autoplayBlocked && (
            <button type="button" class="btn btn-primary btn-block" onClick={audio.resume}>
              Tap to hear the space
            </button>
          )}
          {audio.trouble !== null &&
            !connection.lost &&
            audio.mode !== 'speaking' &&
            t.status === 'admitted' && <p class="notice notice-soft">{audio.trouble}</p>}
        </>
      )}
      {!removed && (
        <PinnedPosts
          spaceId={id}
          pins={pins.pins}
          canEdit={moderator && (live || backstage || space.state === 'scheduled')}
        />
      )}
      {!ended && !removed && (
        <div class="stage-wrap">
          <StageGrid
            stage={space.stage}
            speaking={connection.lost ? NOBODY : view.speaking}
            meId={meId}
            opener={opener}
          />
          <FloatingReactions floating={reactions.floating} />
        </div>
      )}
      {live && !removed && (
        <ListenerFaces spaceId={id} count={space.listenerCount} onOpen={() => setPanel('listeners')} />
      )}
      {live && !removed && space.record && (
        <ClipButton
          spaceId={id}
          class="card"
          request={() => {
            const t = ticket.ticket();
            return t !== undefined ? { ticket: t } : {};
          }}
        />
      )}
      {(live || (backstage && onStage)) && !removed && (
        <ActionBar
          primary={onStage ? 'mic' : session ? 'hand' : 'none'}
          muted={me?.muted ?? true}
          mic={audio.mic}
          asked={requests.asked}
          onMic={() => void toggleMic()}
          onHand={() => void toggleHand()}
          onReact={react}
          onShare={() => void share()}
          onLeave={() => void leave()}
          leaveLabel="Leave"
          {...(moderator ? { hostMenu: <HostMenu spaceId={id} isHost={isHost} /> } : {})}
        />
      )}
      {panel === 'listeners' && (
        <ListenerPanel
          spaceId={id}
          count={space.listenerCount}
          onStage={new Set(space.stage.map((m) => m.id))}
          removed={removedIds}
          moderator={moderator}
          onClose={() => setPanel(null)}
          onPick={(u) => setPicked(u)}
        />
      )}
      {picked && meId !== null && (
        <MemberActions
          spaceId={id}
          target={picked}
          member={space.stage.find((m) => m.id === picked.id)}
          meId={meId}
          viewerRole={me?.role ?? 'listener'}
          onClose={() => setPicked(null)}
          onUnmuteSelf={toggleMic}
          onRemoved={(userId) => setRemovedIds((s) => new Set([...s, userId]))}
          anonymousListening={space.anonymousListening}
        />
      )}
      {leaving && (
        <LeaveDialog
          spaceId={id}
          hasCohost={space.stage.some((m) => m.role === 'cohost')}
          onClose={() => setLeaving(false)}
        />
      )}
    </main>
  );
}
