// The dashboard's queueing controls beyond the method and the rate: adaptive admission (on/off,
// its bounds, the rate in force and the reason of its last decision) and invitations to the
// bypass and priority lanes. It follows the sale chosen in the dashboard's sale picker.
import { api, busy, toast } from './lib.js';

const $ = (id) => document.getElementById(id);
const FIELDS = {
  'adaptive-min': 'minUsersPerInterval',
  'adaptive-max': 'maxUsersPerInterval',
  'adaptive-p99': 'targetApiP99Ms',
  'adaptive-p99-pause': 'pauseApiP99Ms',
  'adaptive-lag': 'targetConsumerLag',
  'adaptive-lag-pause': 'pauseConsumerLag',
  'adaptive-holds': 'minHoldSuccessRate',
};
let filledFor = null;

const saleId = () => $('dash-sale')?.value || null;
const salePath = () => `/api/operator/sales/${encodeURIComponent(saleId())}`;
const failed = (error) => toast(`${error.code ?? ''} ${error.message}`);

wire();
setInterval(() => refresh().catch(() => {}), 2000);

function wire() {
  $('dash-sale').addEventListener('change', () => refresh().catch(() => {}));
  $('adaptive-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const change = { enabled: $('adaptive-enabled').checked };
    for (const [id, field] of Object.entries(FIELDS)) change[field] = Number($(id).value);
    api('PUT', `${salePath()}/adaptive`, change)
      .then(({ adaptive }) => {
        show(adaptive, true);
        toast(`Adaptive admission ${adaptive.enabled ? 'on' : 'off'}.`, 'info');
      })
      .catch(failed);
  });
  $('adaptive-adjust').addEventListener('click', () =>
    busy($('adaptive-adjust'), async () => {
      const { adaptive } = await api('POST', `${salePath()}/adaptive/adjust`);
      show(adaptive, false);
    }).catch(failed),
  );
  $('invite-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api('POST', `${salePath()}/invitations`, {
      userId: $('invite-user').value.trim(),
      lane: $('invite-lane').value,
      validForMs: Math.round(Number($('invite-hours').value) * 3_600_000),
    })
      .then(({ invitation }) => {
        $('invite-link').textContent = invitation.joinUrl;
        navigator.clipboard?.writeText(invitation.joinUrl).catch(() => {});
        toast(`Invitation issued (${invitation.lane}); the join link is copied.`, 'info');
      })
      .catch(failed);
  });
}

/** Reads the chosen sale's adaptive admission; fills the form once per sale, the figures always. */
async function refresh() {
  const id = saleId();
  if (!id || $('view-dashboard').classList.contains('hidden')) return;
  const { adaptive } = await api('GET', `${salePath()}/adaptive`);
  // the operator may have picked another sale while this was on its way
  if (id === saleId()) show(adaptive, filledFor !== id);
}

function show(adaptive, fill) {
  if (fill) {
    filledFor = saleId();
    $('adaptive-enabled').checked = adaptive.enabled;
    for (const [id, field] of Object.entries(FIELDS)) $(id).value = adaptive.policy[field];
  }
  const { usersPerInterval, paused } = adaptive.rate;
  $('adaptive-rate').textContent = `${usersPerInterval} per interval${paused ? ' (paused)' : ''}${
    adaptive.enabled ? '' : ' · adaptive off'
  }`;
  const last = adaptive.lastDecision;
  $('adaptive-decision').textContent = last
    ? `${last.health}${last.reasons.length ? `: ${last.reasons.join(', ')}` : ''} (${new Date(last.at).toLocaleTimeString()})`
    : 'none yet';
}
