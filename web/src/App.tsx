/** The app shell: header, the page for the route, toasts, and reminders from the event stream. */
import { useEffect } from 'preact/hooks';
import { Header } from './components/Header.js';
import { Toaster } from './components/Toaster.js';
import { events } from './lib/events.js';
import { useRoute } from './lib/router.js';
import { useSession } from './lib/session.js';
import { toast } from './lib/toast.js';
import { AuthPage } from './pages/AuthPage.js';
import { HomePage } from './pages/HomePage.js';
import { NewSpacePage } from './pages/NewSpacePage.js';
import { NotFoundNotice } from './components/SpaceNotice.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { SpacePage } from './pages/SpacePage.js';
import { AnalyticsPage } from './pages/AnalyticsPage.js';
import { MiniPlayer } from './components/MiniPlayer.js';
import { ClipPage } from './pages/ClipPage.js';

export function App() {
  const route = useRoute();
  const session = useSession();

  useEffect(() => {
    if (session) events.open();
    return events.on('reminder', (e) => toast(`“${e.title}” is live now.`, 8000));
  }, [session]);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      {route.name === 'home' && <HomePage />}
      {(route.name === 'signin' || route.name === 'signup') && <AuthPage mode={route.name} />}
      {route.name === 'new' && <NewSpacePage />}
      {route.name === 'space' && <SpacePage key={route.id} id={route.id} />}
      {route.name === 'replay' && <ReplayPage key={route.id} id={route.id} />}
      {route.name === 'analytics' && <AnalyticsPage key={route.id} id={route.id} />}
      {route.name === 'clip' && <ClipPage key={route.id} id={route.id} />}
      {route.name === 'notFound' && (
        <main id="main" class="page narrow">
          <NotFoundNotice what="page" />
        </main>
      )}
      {route.name !== 'space' && <MiniPlayer />}
      <Toaster />
    </>
  );
}
