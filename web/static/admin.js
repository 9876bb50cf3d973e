// admin.js: the nav_admin page (being built; see issue 9).
'use strict';

pano.start(async () => {});
