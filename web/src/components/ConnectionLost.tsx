/** The page cannot reach the server: say so plainly, and that it comes back by itself. */
import { Icon } from './Icon.js';

export function ConnectionLost() {
  return (
    <section class="card connection-lost" role="alert">
      <span class="notice-icon" aria-hidden="true">
        <Icon name="power" size={22} />
      </span>
      <div class="banner-text">
        <h2 class="card-h">Connection lost</h2>
        <p class="muted">
          Rostra can’t reach the server. What you see may be out of date. Reconnecting by itself…
        </p>
      </div>
    </section>
  );
}
