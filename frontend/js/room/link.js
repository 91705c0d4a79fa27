// What every live-room page holds the same way: the signalling socket, the roster, the chat,
// and one publisher and one subscriber made on the first join. The live room (RoomSession)
// and the exam pages (ExamRoom) extend it with their own messages and their own way of
// publishing again; routeCommon() answers the messages both treat alike.

import { ChatStore } from "./chat.js";
import { Publisher } from "./publisher.js";
import { Roster } from "./roster.js";
import { Signal } from "./signal.js";
import { Subscriber } from "./subscriber.js";

/** The connection to one room: signalling, roster, chat, publisher and subscriber. */
export class RoomLink extends EventTarget {
  constructor(sessionId, personId) {
    super();
    this.sessionId = sessionId;
    this.roster = new Roster();
    this.signal = new Signal(sessionId);
    this.chat = new ChatStore(this.signal, personId);
    this.signal.joinFields = () => this.chat.joinFields();
    this.signal.addEventListener("join_refused", () => this.chat.reset());
    this.publisher = null;
    this.subscriber = null;
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  /** Applies a server message the shared way; false when the page must handle its type. */
  routeCommon(message) {
    this.roster.apply(message);
    switch (message.type) {
      case "joined":
        this.onJoined(message);
        this.chat.resendPending();
        return true;
      case "chat":
      case "chat_history":
      case "chat_ack":
        this.chat.onMessage(message);
        return true;
      case "publish_answer":
        this.publisher?.onMessage(message);
        return true;
      case "error":
        if (this.chat.onMessage(message)) return true;
        this.publisher?.onMessage(message);
        this.onError(message);
        return true;
      case "subscription_offer":
        this.subscriber?.onOffer(message).catch((error) => this.emit("notice", error));
        return true;
      default:
        return false;
    }
  }

  /** An error the chat did not claim; the page may hide some (e.g. its own publish retries). */
  onError(message) {
    this.emit("notice", message);
  }

  /** Makes the publisher and the subscriber once, with the ICE servers of the first join. */
  openPeers(iceServers) {
    if (this.publisher) return;
    this.publisher = new Publisher(this.signal, iceServers);
    this.subscriber = new Subscriber(this.signal, iceServers);
    this.subscriber.addEventListener("slots", (event) => this.emit("slots", event.detail));
    this.subscriber.addEventListener("state", (event) => this.onSubscriberState(event.detail));
    this.publisher.addEventListener("state", (event) => this.onPublisherState(event.detail));
  }

  /** On every join: the peers exist; a fresh (not resumed) join starts both over. */
  preparePeers(message) {
    this.openPeers(message.ice_servers);
    if (message.resumed) return;
    this.subscriber.reset();
    this.publisher.closePc();
  }

  /** Whether the publishing connection is up or still coming up (a resumed join keeps it). */
  publisherAlive() {
    return ["connected", "connecting", "new"].includes(this.publisher?.pc?.connectionState);
  }

  onSubscriberState(state) {
    if (state === "failed" && this.signal.state === "open") this.restartSubscription();
  }

  onPublisherState(state) {
    if (state === "failed" && this.signal.state === "open") this.republish();
  }

  restartSubscription() {
    this.subscriber?.reset();
    this.signal.send({ type: "restart_subscription" });
  }
}
