/** A space: its stage, listeners, reactions, requests and audio, in whatever state it is. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { EventOf, ReactionEmoji, SpaceView, StageMemberView, UserView } from '../api/types.js';
import { ActionBar } from '../components/ActionBar.js';
import { FloatingReactions } from '../components/FloatingReactions.js';
import { HostMenu } from '../components/HostMenu.js';
import { InvitationBanner } from '../components/InvitationBanner.js';
import { ListenerPanel } from '../components/ListenerPanel.js';
import { MemberActions } from '../components/MemberActions.js';
import { MicPanel } from '../components/MicPanel.js';
import { RequestQueue } from '../components/RequestQueue.js';
import { ScheduledPanel } from '../components/ScheduledPanel.js';
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

export function SpacePage({ id }: { id: string }) {
  const session = useSession();
  const meId = session?.user.id ?? null;
  const [removed, setRemoved] = useState(false);
  const [panel, setPanel] = useState<'listeners' | null>(null);
  const [picked, setPicked] = useState<UserView | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const requestsRef = useRef<{ setAsked: (b: boolean) => void } | null>(null);

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
  const ended = space?.state === 'ended' || space?.state === 'cancelled';
  const me: StageMemberView | undefined = space?.stage.find((m) => m.id === meId);
  const onStage = me !== undefined;
  const isHost = meId !== null && space?.host.id === meId;
  const moderator = me?.role === 'host' || me?.role === 'cohost';

  const [playlistUrl, setPlaylistUrl] = useState<string | null>(null);
  const audio = useStageAudio({
    spaceId: id,
    live,
    ended: ended || removed,
    onStage,
    muted: me?.muted ?? true,
    playlistUrl,
  });
  // A listener on stage keeps hearing the broadcast until the WHIP mix plays; the host never listens.
  const wasListener = useRef(false);
  const wantTicket = live && !removed && (!onStage || (wasListener.current && audio.mic !== 'live'));
  const ticket = useListenerTicket(id, wantTicket, () => void view.reload());
  useEffect(() => {
    const s = ticket.state;
    if (s.status === 'admitted') wasListener.current = true;
    setPlaylistUrl(s.status === 'admitted' ? s.admission.playlistUrl : null);
  }, [ticket.state]);

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
  const leave = async () => {
    if (onStage && !isHost)
      await api.leaveStage(id).catch((err: unknown) => console.warn('leave-stage failed', err));
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
      <SpaceHeader space={space} onListeners={() => setPanel('listeners')} />
      <p class="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {removed ? (
        <RefusedNotice code="removed_from_space" message="You were removed from this space." />
      ) : ended ? (
        <EndedNotice space={space} />
      ) : space.state === 'scheduled' ? (
        <ScheduledPanel space={space} isHost={isHost} onChanged={() => void view.reload()} />
      ) : t.status === 'unavailable' ? (
        <UnavailableNotice u={t.unavailable} onRetry={ticket.retryNow} />
      ) : t.status === 'refused' ? (
        <RefusedNotice code={t.code} message={t.message} />
      ) : null}
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
          {audio.autoplayBlocked && (
            <button type="button" class="btn btn-primary btn-block" onClick={audio.resume}>
              Tap to hear the space
            </button>
          )}
          {audio.trouble !== null && audio.mode !== 'speaking' && t.status === 'admitted' && (
            <p class="notice notice-soft">{audio.trouble}</p>
          )}
        </>
      )}
      {!ended && !removed && (
        <div class="stage-wrap">
          <StageGrid stage={space.stage} speaking={view.speaking} meId={meId} opener={opener} />
          <FloatingReactions floating={reactions.floating} />
        </div>
      )}
      {live && !removed && (
        <ActionBar
          primary={onStage ? 'mic' : session ? 'hand' : 'none'}
          muted={me?.muted ?? true}
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
        />
      )}
    </main>
  );
}
