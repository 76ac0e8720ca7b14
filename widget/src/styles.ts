/** The widget's stylesheet; it lives inside the shadow root, so host-page rules cannot reach it. */
export const CSS = `
:host{all:initial}
.fd-root{--fd-c:#2563eb;--fd-on:#fff;--fd-a:#2563eb;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#111827;text-align:left;-webkit-font-smoothing:antialiased}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button{font:inherit;color:inherit;cursor:pointer;border:0;background:none;padding:0;margin:0}
button:disabled{cursor:default;opacity:.55}
:focus{outline:none}
:focus-visible{outline:2px solid var(--fd-a);outline-offset:2px}
svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.fd-launcher{position:fixed;bottom:20px;right:20px;z-index:2147483646;width:56px;height:56px;border-radius:50%;background:var(--fd-c);color:var(--fd-on);display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.25);transition:transform .15s}
.fd-launcher:hover{transform:scale(1.06)}
.fd-launcher:focus-visible{outline:3px solid var(--fd-a);outline-offset:3px}
.fd-launcher svg{width:26px;height:26px}
.fd-loading .fd-launcher{visibility:hidden}
.fd-left .fd-launcher{right:auto;left:20px}
.fd-panel{position:fixed;bottom:88px;right:20px;z-index:2147483647;width:370px;height:560px;max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);display:flex;flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.22);overflow:hidden;animation:fd-in .18s ease-out}
.fd-left .fd-panel{right:auto;left:20px}
@keyframes fd-in{from{opacity:0;transform:translateY(12px)}}
.fd-header{display:flex;align-items:center;gap:10px;padding:10px 10px 10px 14px;background:var(--fd-c);color:var(--fd-on);flex:none}
.fd-avatar{width:36px;height:36px;border-radius:50%;flex:none;display:flex;align-items:center;justify-content:center;background:rgba(127,127,127,.3);font-weight:600;overflow:hidden}
.fd-avatar img{width:100%;height:100%;object-fit:cover}
.fd-title{flex:1;min-width:0}
.fd-name,.fd-sub{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.fd-name{font-weight:600}
.fd-sub{font-size:12px;opacity:.85}
.fd-hbtn{width:34px;height:34px;border-radius:8px;display:flex;align-items:center;justify-content:center;flex:none}
.fd-hbtn:hover{background:rgba(127,127,127,.25)}
.fd-hbtn:focus-visible{outline-color:currentColor;outline-offset:-2px}
.fd-messages{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px;background:#f9fafb;overscroll-behavior:contain}
.fd-msg{max-width:85%;padding:8px 12px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}
.fd-msg a{color:inherit;text-decoration:underline}
.fd-msg-user{align-self:flex-end;background:var(--fd-c);color:var(--fd-on);border-bottom-right-radius:4px}
.fd-msg-bot{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;border-bottom-left-radius:4px}
.fd-msg-system{align-self:center;max-width:95%;color:#4b5563;font-size:13px;text-align:center;padding:2px 8px}
.fd-msg-error{color:#b91c1c}
.fd-rate{display:flex;gap:4px;margin-top:6px;white-space:normal}
.fd-rate button{display:inline-flex;align-items:center;justify-content:center;width:28px;height:24px;padding:0;border:1px solid #e5e7eb;border-radius:6px;background:#fff;color:#6b7280;cursor:pointer}
.fd-rate button:hover{color:#111827;border-color:#9ca3af}
.fd-rate button:focus-visible{outline:2px solid var(--fd-a);outline-offset:1px}
.fd-rate button[aria-pressed="true"]{color:var(--fd-on);background:var(--fd-c);border-color:var(--fd-c)}
.fd-rate svg{width:14px;height:14px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.fd-sources{margin-top:6px;font-size:12px;color:#4b5563;white-space:normal}
.fd-sources summary{cursor:pointer}
.fd-sources ul{margin:4px 0 0;padding-left:18px}
.fd-typing{align-self:flex-start;display:flex;gap:4px;padding:12px 14px;background:#fff;border:1px solid #e5e7eb;border-radius:16px 16px 16px 4px}
.fd-typing span{width:6px;height:6px;border-radius:50%;background:#9ca3af;animation:fd-dot 1s infinite ease-in-out}
.fd-typing span:nth-child(2){animation-delay:.15s}
.fd-typing span:nth-child(3){animation-delay:.3s}
@keyframes fd-dot{0%,80%,100%{opacity:.35;transform:none}40%{opacity:1;transform:translateY(-3px)}}
.fd-form{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff;flex:none;margin:0}
.fd-input{flex:1;resize:none;margin:0;border:1px solid #d1d5db;border-radius:10px;padding:9px 11px;font:inherit;font-size:16px;line-height:1.3;color:#111827;background:#fff;min-height:40px;max-height:120px}
.fd-input:focus{border-color:var(--fd-a);box-shadow:0 0 0 1px var(--fd-a)}
.fd-input:disabled{background:#f3f4f6}
.fd-brand{flex:none;padding:0 10px 6px;background:#fff;color:#6b7280;font-size:11px;line-height:1.2;text-align:center}
.fd-send{width:40px;height:40px;border-radius:10px;background:var(--fd-c);color:var(--fd-on);display:flex;align-items:center;justify-content:center;flex:none}
@media (max-width:480px){
.fd-panel,.fd-left .fd-panel{top:0;right:0;bottom:0;left:0;width:100%;max-width:none;height:100vh;height:100dvh;max-height:none;border-radius:0}
.fd-open .fd-launcher{display:none}
}
@media (prefers-reduced-motion:reduce){
.fd-panel,.fd-typing span{animation:none}
.fd-launcher{transition:none}
.fd-launcher:hover{transform:none}
}
`;
