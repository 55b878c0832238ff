/** Host analytics: peak and unique listeners, speakers, duration, replay plays and the listener curve. */
import type { ControlPlane } from '../../control/ControlPlane.js';
import type { SpaceAnalytics } from '../../control/SpaceAnalytics.js';
import { SpaceAnalyticsSchema } from '../../contract/experience.js';
import { IdParams } from '../../contract/rest.js';
import { route, type RouteDef } from '../Route.js';

export function analyticsRoutes(plane: ControlPlane, analytics: SpaceAnalytics): RouteDef[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/spaces/:id/analytics',
      operationId: 'getSpaceAnalytics',
      summary: 'A space’s numbers for its host, during the space and after it',
      tag: 'analytics',
      auth: 'required',
      params: IdParams,
      response: { status: 200, description: 'The analytics', schema: SpaceAnalyticsSchema },
      errors: ['unauthenticated', 'not_host', 'space_not_found'],
      handler: async ({ caller, params }) => {
        const space = await plane.spaces.fresh(params.id);
        plane.access.requireHost(space, caller);
        return analytics.report(space);
      },
    }),
  ];
}
