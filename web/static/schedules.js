// schedules.js: the nav_schedules page (being built; see issue 9).
'use strict';

pano.start(async () => {});
