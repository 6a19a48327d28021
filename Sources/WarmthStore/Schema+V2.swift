import WarmthDomain

extension Store {
    /// Schema v2 (v1 is never edited). The ledger stays append-only; what changes:
    /// - payouts lose UNIQUE(campaign, household): one *active* payout per household per
    ///   campaign is a partial unique index on the status projection, so a cancelled or
    ///   reversed payout can be replaced by a later run or by 补发;
    /// - payouts carry cash and goods apart, the funding source charged, and whether they were
    ///   added by hand; their items (cash, goods with description, quantity and value, ticket);
    /// - events record who, why and how (bank or cash), and the store itself refuses an illegal
    ///   move (the table of legal moves below mirrors `PayoutStatus.moves`, and a test holds
    ///   the two equal); `payout_state` is the status projection, kept by triggers in the same
    ///   transaction as the event, with an index per campaign and status for the reports;
    /// - campaigns keep a log of their phase, budget and funding changes;
    /// - a household's earlier versions are kept when it is changed or removed;
    /// - closed vocabularies are checked by the store (an unknown file status is refused, never
    ///   read as live), and organisers may add their own categories and causes.
    static let migrationV2 = """
        CREATE TABLE payouts_v2 (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            household_id INTEGER NOT NULL REFERENCES households(id),
            run_id INTEGER REFERENCES runs(id),
            unit_code TEXT NOT NULL REFERENCES units(code),
            amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0 AND typeof(amount_fen) = 'integer'),
            cash_fen INTEGER NOT NULL CHECK (cash_fen >= 0 AND typeof(cash_fen) = 'integer'),
            goods_fen INTEGER NOT NULL CHECK (goods_fen >= 0 AND typeof(goods_fen) = 'integer'),
            kind TEXT NOT NULL CHECK (kind IN ('cash', 'goods', 'ticket')),
            goods TEXT,
            category TEXT NOT NULL CHECK (category <> ''),
            reason TEXT NOT NULL,
            rule TEXT NOT NULL,
            source TEXT,
            by_hand INTEGER NOT NULL DEFAULT 0 CHECK (by_hand IN (0, 1)),
            created_by TEXT NOT NULL DEFAULT '',
            itemized INTEGER NOT NULL DEFAULT 0 CHECK (itemized IN (0, 1)),
            CHECK (amount_fen = cash_fen + goods_fen),
            CHECK ((run_id IS NULL) = (by_hand = 1))
        );
        INSERT INTO payouts_v2 (id, campaign_id, household_id, run_id, unit_code, amount_fen, cash_fen, goods_fen, kind, goods,
                                category, reason, rule, source, by_hand, created_by)
            SELECT id, campaign_id, household_id, run_id, unit_code, amount_fen,
                   CASE kind WHEN 'goods' THEN 0 ELSE amount_fen END, CASE kind WHEN 'goods' THEN amount_fen ELSE 0 END,
                   kind, goods, category, reason, rule, NULL, 0, '' FROM payouts;

        CREATE TABLE payout_events_v2 (
            id INTEGER PRIMARY KEY,
            payout_id INTEGER NOT NULL REFERENCES payouts(id),
            event TEXT NOT NULL CHECK (event IN ('planned', 'approved', 'paid', 'signed', 'cancelled', 'reversed', 'failed')),
            reason TEXT,
            method TEXT CHECK (method IS NULL OR method IN ('bank', 'cash')),
            actor TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        INSERT INTO payout_events_v2 (id, payout_id, event, reason, method, actor, at)
            SELECT id, payout_id, event, reason, NULL, '', at FROM payout_events;

        DROP TABLE payout_events;
        DROP TABLE payouts;
        ALTER TABLE payouts_v2 RENAME TO payouts;
        ALTER TABLE payout_events_v2 RENAME TO payout_events;
        CREATE INDEX payouts_run ON payouts(run_id);
        CREATE INDEX payout_events_payout ON payout_events(payout_id, id);

        CREATE TABLE payout_items (
            payout_id INTEGER NOT NULL REFERENCES payouts(id),
            position INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('cash', 'goods', 'ticket')),
            description TEXT,
            quantity TEXT,
            value_fen INTEGER NOT NULL CHECK (value_fen >= 0 AND typeof(value_fen) = 'integer'),
            PRIMARY KEY (payout_id, position)
        );

        CREATE TABLE payout_transitions (
            from_status TEXT NOT NULL,
            to_status TEXT NOT NULL,
            PRIMARY KEY (from_status, to_status)
        );
        INSERT INTO payout_transitions VALUES
            ('', 'planned'),
            ('planned', 'approved'), ('planned', 'cancelled'),
            ('approved', 'paid'), ('approved', 'failed'), ('approved', 'cancelled'),
            ('paid', 'signed'), ('paid', 'reversed'),
            ('signed', 'reversed'),
            ('failed', 'approved'), ('failed', 'cancelled');

        -- The status projection: one row per payout, maintained by the triggers below in the
        -- transaction that records the event.
        CREATE TABLE payout_state (
            payout_id INTEGER PRIMARY KEY REFERENCES payouts(id),
            campaign_id INTEGER NOT NULL,
            household_id INTEGER NOT NULL,
            unit_code TEXT NOT NULL,
            category TEXT NOT NULL,
            amount_fen INTEGER NOT NULL,
            cash_fen INTEGER NOT NULL,
            goods_fen INTEGER NOT NULL,
            source TEXT,
            by_hand INTEGER NOT NULL,
            status TEXT NOT NULL,
            active INTEGER NOT NULL,
            since TEXT NOT NULL
        );
        INSERT INTO payout_state
            SELECT p.id, p.campaign_id, p.household_id, p.unit_code, p.category, p.amount_fen, p.cash_fen, p.goods_fen, p.source,
                   p.by_hand, e.event, e.event NOT IN ('cancelled', 'reversed'), e.at
            FROM payouts p JOIN payout_events e ON e.id = (SELECT max(id) FROM payout_events WHERE payout_id = p.id);
        CREATE UNIQUE INDEX payout_state_one_active ON payout_state(campaign_id, household_id) WHERE active = 1;
        -- campaign show and the reports: one pass over an index that holds every figure they add up.
        CREATE INDEX payout_state_totals ON payout_state(campaign_id, category, status, source, by_hand, amount_fen, cash_fen, goods_fen);
        CREATE INDEX payout_state_household ON payout_state(campaign_id, household_id, unit_code);

        -- A payout enters the projection as planned, exactly as the payout says; its planned
        -- event follows it, once.
        CREATE TRIGGER payout_state_enters_planned BEFORE INSERT ON payout_state
            WHEN NEW.status <> 'planned' OR NEW.active <> 1 OR NOT EXISTS (
                SELECT 1 FROM payouts p WHERE p.id = NEW.payout_id AND p.campaign_id = NEW.campaign_id AND p.household_id = NEW.household_id
                  AND p.unit_code = NEW.unit_code AND p.category = NEW.category AND p.amount_fen = NEW.amount_fen
                  AND p.cash_fen = NEW.cash_fen AND p.goods_fen = NEW.goods_fen AND p.source IS NEW.source AND p.by_hand = NEW.by_hand)
            BEGIN SELECT RAISE(ABORT, 'warmth: a payout enters the ledger as planned, as written'); END;
        CREATE TRIGGER payout_events_planned_once BEFORE INSERT ON payout_events
            WHEN NEW.event = 'planned' AND (
                NOT EXISTS (SELECT 1 FROM payout_state WHERE payout_id = NEW.payout_id AND status = 'planned')
                OR EXISTS (SELECT 1 FROM payout_events WHERE payout_id = NEW.payout_id))
            BEGIN SELECT RAISE(ABORT, 'warmth: illegal payout move'); END;
        CREATE TRIGGER payout_events_legal BEFORE INSERT ON payout_events
            WHEN NEW.event <> 'planned' AND NOT EXISTS (
                SELECT 1 FROM payout_state s JOIN payout_transitions t ON t.from_status = s.status
                WHERE s.payout_id = NEW.payout_id AND t.to_status = NEW.event)
            BEGIN SELECT RAISE(ABORT, 'warmth: illegal payout move'); END;
        CREATE TRIGGER payout_events_project_move AFTER INSERT ON payout_events WHEN NEW.event <> 'planned'
            BEGIN
                UPDATE payout_state SET status = NEW.event, active = NEW.event NOT IN ('cancelled', 'reversed'), since = NEW.at
                WHERE payout_id = NEW.payout_id;
            END;
        -- The projection changes only as the latest event says, and only its status.
        CREATE TRIGGER payout_state_follows_events BEFORE UPDATE ON payout_state
            WHEN NEW.payout_id <> OLD.payout_id OR NEW.campaign_id <> OLD.campaign_id OR NEW.household_id <> OLD.household_id
              OR NEW.unit_code <> OLD.unit_code OR NEW.category <> OLD.category OR NEW.amount_fen <> OLD.amount_fen
              OR NEW.cash_fen <> OLD.cash_fen OR NEW.goods_fen <> OLD.goods_fen OR NEW.source IS NOT OLD.source OR NEW.by_hand <> OLD.by_hand
              OR NEW.active <> (NEW.status NOT IN ('cancelled', 'reversed'))
              OR NEW.status IS NOT (SELECT event FROM payout_events WHERE payout_id = NEW.payout_id ORDER BY id DESC LIMIT 1)
            BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only: record an event instead'); END;

        CREATE TRIGGER payouts_append_only_update BEFORE UPDATE ON payouts
            BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only: record an event instead'); END;
        CREATE TRIGGER payouts_append_only_delete BEFORE DELETE ON payouts
            BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only: record an event instead'); END;
        CREATE TRIGGER payout_events_append_only_update BEFORE UPDATE ON payout_events
            BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only'); END;
        CREATE TRIGGER payout_events_append_only_delete BEFORE DELETE ON payout_events
            BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only'); END;
        CREATE TRIGGER payout_items_append_only_update BEFORE UPDATE ON payout_items
            BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only'); END;
        CREATE TRIGGER payout_items_append_only_delete BEFORE DELETE ON payout_items
            BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only'); END;
        CREATE TRIGGER payout_state_no_delete BEFORE DELETE ON payout_state
            BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only'); END;

        CREATE TABLE campaign_events (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            kind TEXT NOT NULL CHECK (kind IN ('created', 'phase', 'budget', 'fund')),
            detail TEXT,
            old_value TEXT,
            new_value TEXT NOT NULL,
            actor TEXT NOT NULL DEFAULT '',
            reason TEXT,
            at TEXT NOT NULL
        );
        INSERT INTO campaign_events (campaign_id, kind, old_value, new_value, at)
            SELECT id, 'created', NULL, phase || ' ' || budget_fen, created_at FROM campaigns;
        CREATE INDEX campaign_events_campaign ON campaign_events(campaign_id, id);
        CREATE TRIGGER campaign_events_append_only_update BEFORE UPDATE ON campaign_events
            BEGIN SELECT RAISE(ABORT, 'campaign events are append-only'); END;
        CREATE TRIGGER campaign_events_append_only_delete BEFORE DELETE ON campaign_events
            BEGIN SELECT RAISE(ABORT, 'campaign events are append-only'); END;
        CREATE TRIGGER campaigns_phase_known BEFORE UPDATE OF phase ON campaigns
            WHEN NEW.phase NOT IN ('准备', '资金筹备发放', '走访慰问', '检查总结')
            BEGIN SELECT RAISE(ABORT, 'unknown campaign phase'); END;
        CREATE TRIGGER campaigns_phase_known_insert BEFORE INSERT ON campaigns
            WHEN NEW.phase NOT IN ('准备', '资金筹备发放', '走访慰问', '检查总结')
            BEGIN SELECT RAISE(ABORT, 'unknown campaign phase'); END;
        CREATE TRIGGER campaigns_no_delete BEFORE DELETE ON campaigns
            BEGIN SELECT RAISE(ABORT, 'campaigns are kept for audit'); END;

        CREATE TABLE vocabulary_extras (
            kind TEXT NOT NULL CHECK (kind IN ('category', 'cause')),
            name TEXT NOT NULL CHECK (name <> ''),
            unit_code TEXT NOT NULL REFERENCES units(code),
            bit INTEGER NOT NULL CHECK (bit BETWEEN 0 AND 62),
            actor TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            PRIMARY KEY (kind, name),
            UNIQUE (kind, bit)
        );

        CREATE TABLE household_history (
            id INTEGER PRIMARY KEY,
            household_id INTEGER NOT NULL,
            change TEXT NOT NULL CHECK (change IN ('updated', 'removed')),
            changed_at TEXT NOT NULL,
            id_number TEXT NOT NULL, name TEXT NOT NULL, unit_code TEXT NOT NULL, members INTEGER NOT NULL,
            income_fen INTEGER NOT NULL, categories INTEGER NOT NULL, causes INTEGER NOT NULL, difficulty_type TEXT,
            main_cause TEXT, secondary_causes TEXT NOT NULL, identity TEXT, file_status TEXT NOT NULL, bank_card TEXT,
            phone TEXT, address TEXT, registered_on TEXT
        );
        CREATE INDEX household_history_household ON household_history(household_id, id);
        CREATE TRIGGER households_history_update AFTER UPDATE ON households
            BEGIN
                INSERT INTO household_history (household_id, change, changed_at, id_number, name, unit_code, members, income_fen,
                    categories, causes, difficulty_type, main_cause, secondary_causes, identity, file_status, bank_card, phone,
                    address, registered_on)
                VALUES (OLD.id, 'updated', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), OLD.id_number, OLD.name, OLD.unit_code, OLD.members,
                    OLD.income_fen, OLD.categories, OLD.causes, OLD.difficulty_type, OLD.main_cause, OLD.secondary_causes,
                    OLD.identity, OLD.file_status, OLD.bank_card, OLD.phone, OLD.address, OLD.registered_on);
            END;
        CREATE TRIGGER households_history_delete AFTER DELETE ON households
            BEGIN
                INSERT INTO household_history (household_id, change, changed_at, id_number, name, unit_code, members, income_fen,
                    categories, causes, difficulty_type, main_cause, secondary_causes, identity, file_status, bank_card, phone,
                    address, registered_on)
                VALUES (OLD.id, 'removed', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), OLD.id_number, OLD.name, OLD.unit_code, OLD.members,
                    OLD.income_fen, OLD.categories, OLD.causes, OLD.difficulty_type, OLD.main_cause, OLD.secondary_causes,
                    OLD.identity, OLD.file_status, OLD.bank_card, OLD.phone, OLD.address, OLD.registered_on);
            END;
        CREATE TRIGGER households_history_append_only BEFORE UPDATE ON household_history
            BEGIN SELECT RAISE(ABORT, 'household history is append-only'); END;
        CREATE TRIGGER households_history_no_delete BEFORE DELETE ON household_history
            BEGIN SELECT RAISE(ABORT, 'household history is append-only'); END;
        CREATE TRIGGER payout_transitions_fixed_insert BEFORE INSERT ON payout_transitions
            BEGIN SELECT RAISE(ABORT, 'the legal payout moves are fixed by the schema'); END;
        CREATE TRIGGER payout_transitions_fixed_update BEFORE UPDATE ON payout_transitions
            BEGIN SELECT RAISE(ABORT, 'the legal payout moves are fixed by the schema'); END;
        CREATE TRIGGER payout_transitions_fixed_delete BEFORE DELETE ON payout_transitions
            BEGIN SELECT RAISE(ABORT, 'the legal payout moves are fixed by the schema'); END;

        \(vocabularyTriggers)
        """

    /// CHECKs on the closed vocabularies of the registry, as triggers (v1's households table
    /// cannot gain a CHECK without being rebuilt). Category and cause bits must be the national
    /// form's or an organiser's own.
    /// The vocabularies as v2 shipped them, frozen here: a later vocabulary is a later migration.
    static var vocabularyTriggers: String {
        func list(_ words: [String]) -> String { words.map { "'\($0)'" }.joined(separator: ", ") }
        let fileStatuses = ["正式", "临时救助", "注销", "脱困"]
        let difficultyTypes = ["低保户", "低保边缘户", "意外致困户"]
        let fileCauses = ["无劳动能力", "有劳动能力而未就业", "下岗失业", "未参加社会保险", "社会保险待遇落实不到位",
                          "患重特大疾病", "遭受自然灾害", "遭受意外事故", "子女上学", "其他"]
        let identities = ["在岗", "下岗", "失业", "退休", "病休", "内退", "农民工"]
        let categoryMask = (Int64(1) << 17) - 1  // the 17 national categories
        let causeMask = (Int64(1) << 10) - 1     // the 10 causes
        let condition = """
            NEW.file_status NOT IN (\(list(fileStatuses)))
                OR (NEW.difficulty_type IS NOT NULL AND NEW.difficulty_type NOT IN (\(list(difficultyTypes))))
                OR (NEW.main_cause IS NOT NULL AND NEW.main_cause NOT IN (\(list(fileCauses))))
                OR (NEW.identity IS NOT NULL AND NEW.identity NOT IN (\(list(identities))))
                OR NEW.categories < 0 OR NEW.causes < 0
                OR (NEW.categories & ~(\(categoryMask) | COALESCE((SELECT sum(1 << bit) FROM vocabulary_extras WHERE kind = 'category'), 0))) <> 0
                OR (NEW.causes & ~(\(causeMask) | COALESCE((SELECT sum(1 << bit) FROM vocabulary_extras WHERE kind = 'cause'), 0))) <> 0
            """
        return """
            CREATE TRIGGER households_vocabulary_insert BEFORE INSERT ON households WHEN \(condition)
                BEGIN SELECT RAISE(ABORT, 'warmth: a household holds a value outside its vocabulary'); END;
            CREATE TRIGGER households_vocabulary_update BEFORE UPDATE ON households WHEN \(condition)
                BEGIN SELECT RAISE(ABORT, 'warmth: a household holds a value outside its vocabulary'); END;
            """
    }
}
