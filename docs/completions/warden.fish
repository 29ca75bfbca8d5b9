# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_warden_global_optspecs
    string join \n log-format= state-dir= l1-rpc-url= l1-cross-check-url= sequencer-url= metrics-file= deadline= max-response-bytes= allow-insecure-rpc h/help V/version
end

function __fish_warden_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_warden_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_warden_using_subcommand
    set -l cmd (__fish_warden_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c warden -n "__fish_warden_needs_command" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_needs_command" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_needs_command" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_needs_command" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_needs_command" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_needs_command" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_needs_command" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_needs_command" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_needs_command" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warden -n "__fish_warden_needs_command" -s V -l version -d 'Print version'
complete -c warden -n "__fish_warden_needs_command" -f -a "init" -d 'Create and pin a state directory, verified against L1 (run once)'
complete -c warden -n "__fish_warden_needs_command" -f -a "tick" -d 'One watchdog cycle: replay L1 inputs and compare with the sequencer\'s finalized state'
complete -c warden -n "__fish_warden_needs_command" -f -a "submit" -d 'Post the sequencer\'s sealed batches to the InputBox, with L1 as the nonce authority'
complete -c warden -n "__fish_warden_needs_command" -f -a "status" -d 'Print a read-only JSON report of the state directory (takes no lock)'
complete -c warden -n "__fish_warden_needs_command" -f -a "recover" -d 'Diagnose and repair (mutating verbs print their plan and need --yes)'
complete -c warden -n "__fish_warden_needs_command" -f -a "snapshot" -d 'Write a self-verifying bundle of the verified head, or verify one'
complete -c warden -n "__fish_warden_needs_command" -f -a "inspect" -d 'Decode a state file or a batch file into JSON (needs no state directory)'
complete -c warden -n "__fish_warden_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warden -n "__fish_warden_using_subcommand init" -l app -d 'The Cartesi Rollups v2 Application' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l batch-submitter -d 'The EOA that posts batches' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l erc20-portal -d 'The ERC-20 portal whose deposits credit the wallet' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l token -d 'The wallet\'s supported token' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l fee-recipient -d 'Credited with fees (default: the batch submitter)' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l chain-id -d 'Refuse an RPC that serves another chain' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l bootstrap -d '`genesis` (the empty machine at --bootstrap-block) or `snapshot:PATH` (a bundle written by `warden snapshot`)' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l bootstrap-block -d 'Genesis block (default: the application\'s deployment block)' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l max-wait-blocks -r
complete -c warden -n "__fish_warden_using_subcommand init" -l preemptive-margin-blocks -r
complete -c warden -n "__fish_warden_using_subcommand init" -l l1-confirmation -r -f -a "safe\t''
finalized\t''"
complete -c warden -n "__fish_warden_using_subcommand init" -l max-log-range -d 'Largest eth_getLogs window in blocks' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l long-range-error-codes -d 'Error codes (substrings of the error text) that mean "range too large"' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand init" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand init" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand init" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand init" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand init" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand tick" -l keep -d 'Checkpoints to retain, the head included (2 keeps a predecessor for rollback)' -r
complete -c warden -n "__fish_warden_using_subcommand tick" -l stall-threshold-blocks -d 'The sequencer counts as stalled (a warning, never a page) when its finalized block trails the L1 confirmed head by more than this while L1 holds inputs above it' -r
complete -c warden -n "__fish_warden_using_subcommand tick" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand tick" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand tick" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand tick" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand tick" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand tick" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand tick" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand tick" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand tick" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand tick" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand submit" -l outbox -d 'The sequencer\'s outbox: `<%020d nonce>.ssz` batch files (read only)' -r -F
complete -c warden -n "__fish_warden_using_subcommand submit" -l key-file -d 'File holding the submitter\'s private key (mode 0600 or stricter); otherwise the key is read from WARDEN_SUBMITTER_KEY' -r -F
complete -c warden -n "__fish_warden_using_subcommand submit" -l confirmations -d 'Blocks on top of a batch\'s block before it counts as posted' -r
complete -c warden -n "__fish_warden_using_subcommand submit" -l max-fee-gwei -d 'Never offer more than this max fee per gas (gwei)' -r
complete -c warden -n "__fish_warden_using_subcommand submit" -l timeout -d 'Seconds to wait for confirmations; a transaction unconfirmed this long is re-sent with both fee caps raised by at least 10 %' -r
complete -c warden -n "__fish_warden_using_subcommand submit" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand submit" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand submit" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand submit" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand submit" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand submit" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand submit" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand submit" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand submit" -l dry-run -d 'Build, sign and simulate; print the plan; send nothing and write nothing'
complete -c warden -n "__fish_warden_using_subcommand submit" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand submit" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand status" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand status" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand status" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand status" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand status" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand status" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand status" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand status" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand status" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand status" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -f -a "repair" -d 'Roll a corrupt or torn head back to the newest intact checkpoint'
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -f -a "clear" -d 'Archive a latched incident to incidents/ with a resolution record'
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -f -a "flush" -d 'Replace every pending submitter transaction with a 0-value self-transfer'
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -f -a "replay" -d 'Re-derive the canonical state over (A, B] into a new directory (touches no state)'
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -f -a "restore" -d 'Make a verified snapshot bundle the head; the replaced head moves to archive/'
complete -c warden -n "__fish_warden_using_subcommand recover; and not __fish_seen_subcommand_from repair clear flush replay restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l yes -d 'Act on the printed plan (without it, nothing changes)'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from repair" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l block -d 'The latched block (the incident\'s target_block), as a guard against clearing the wrong incident' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l reason -d 'Why it is safe to clear (kept in the resolution record)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l force -d 'Archive an `incident` that is not a valid latch (after inspecting it by hand)'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l yes
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l key-file -d 'File holding the submitter\'s private key (mode 0600); else WARDEN_SUBMITTER_KEY' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l max-fee-gwei -d 'Never offer more than this max fee per gas (gwei)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l timeout -d 'Seconds to wait for the replacements to become safe' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l yes
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from flush" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l from-block -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l to-block -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l from -d 'Start from this snapshot bundle (A must be its block) instead of genesis' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l out -d 'Output directory (must not exist)' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l from -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l yes
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from help" -f -a "repair" -d 'Roll a corrupt or torn head back to the newest intact checkpoint'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Archive a latched incident to incidents/ with a resolution record'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from help" -f -a "flush" -d 'Replace every pending submitter transaction with a 0-value self-transfer'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Re-derive the canonical state over (A, B] into a new directory (touches no state)'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Make a verified snapshot bundle the head; the replaced head moves to archive/'
complete -c warden -n "__fish_warden_using_subcommand recover; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l out -d 'Where to write the bundle: a new directory, or a file ending in `.tar`' -r -F
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -f -a "verify" -d 'Re-check a bundle (directory or .tar): sums, manifest, machine and digest'
complete -c warden -n "__fish_warden_using_subcommand snapshot; and not __fish_seen_subcommand_from verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Re-check a bundle (directory or .tar): sums, manifest, machine and digest'
complete -c warden -n "__fish_warden_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -s h -l help -d 'Print help'
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -f -a "state" -d 'Canonical state bytes (what `/finalized_state` serves) or a checkpoint\'s machine.bin'
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -f -a "batch" -d 'An SSZ batch (an outbox file or the payload of a posted input)'
complete -c warden -n "__fish_warden_using_subcommand inspect; and not __fish_seen_subcommand_from state batch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l encoding -r -f -a "auto\t'Hex text when the whole file is hex digits (optionally 0x-prefixed), raw bytes otherwise'
raw\t''
hex\t''"
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from state" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l chain-id -d 'Chain id of the EIP-712 domain the ops were signed for' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l app -d 'Application address (the EIP-712 verifying contract)' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l encoding -r -f -a "auto\t'Hex text when the whole file is hex digits (optionally 0x-prefixed), raw bytes otherwise'
raw\t''
hex\t''"
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l log-format -d 'Event format on stderr (default: text on a terminal, json otherwise)' -r -f -a "json\t''
text\t''"
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l state-dir -d 'The state directory (created by `init`)' -r -F
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l l1-rpc-url -d 'L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable). Never persisted or logged beyond scheme://host[:port]' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l l1-cross-check-url -d 'An independent L1 endpoint that must agree before any head flip or verdict (repeatable; comma-separated in the variable). Disagreement is exit 1, never a verdict' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l sequencer-url -d 'Sequencer base URL (pinned by `init`; this overrides it for one run)' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l metrics-file -d 'Write this run\'s metrics here instead of the state directory\'s file' -r -F
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l deadline -d 'Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m, recover flush its --timeout + 60s; none for the other commands' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l max-response-bytes -d 'Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its block range, any other is refused (exit 1)' -r
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -l allow-insecure-rpc -d 'Allow plain http:// to hosts other than loopback'
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "state" -d 'Canonical state bytes (what `/finalized_state` serves) or a checkpoint\'s machine.bin'
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "batch" -d 'An SSZ batch (an outbox file or the payload of a posted input)'
complete -c warden -n "__fish_warden_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warden -n "__fish_warden_using_subcommand help; and not __fish_seen_subcommand_from init tick submit status recover snapshot inspect help" -f -a "init" -d 'Create and pin a state directory, verified against L1 (run once)'
complete -c warden -n "__fish_warden_using_subcommand help; and not __fish_seen_subcommand_from init tick submit status recover snapshot inspect help" -f -a "tick" -d 'One watchdog cycle: replay L1 inputs and compare with the sequencer\'s finalized state'
complete -c warden -n "__fish_warden_using_subcommand help; and not __fish_seen_subcommand_from init tick submit status recover snapshot inspect help" -f -a "submit" -d 'Post the sequencer\'s sealed batches to the InputBox, with L1 as the nonce authority'
complete -c warden -n "__fish_warden_using_subcommand help; and not __fish_seen_subcommand_from init tick submit status recover snapshot inspect help" -f -a "status" -d 'Print a read-only JSON report of the state directory (takes no lock)'
complete -c warden -n "__fish_warden_using_subcommand help; and not __fish_seen_subcommand_from init tick submit status recover snapshot inspect help" -f -a "recover" -d 'Diagnose and repair (mutating verbs print their plan and need --yes)'
complete -c warden -n "__fish_warden_using_subcommand help; and not __fish_seen_subcommand_from init tick submit status recover snapshot inspect help" -f -a "snapshot" -d 'Write a self-verifying bundle of the verified head, or verify one'
complete -c warden -n "__fish_warden_using_subcommand help; and not __fish_seen_subcommand_from init tick submit status recover snapshot inspect help" -f -a "inspect" -d 'Decode a state file or a batch file into JSON (needs no state directory)'
complete -c warden -n "__fish_warden_using_subcommand help; and not __fish_seen_subcommand_from init tick submit status recover snapshot inspect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warden -n "__fish_warden_using_subcommand help; and __fish_seen_subcommand_from recover" -f -a "repair" -d 'Roll a corrupt or torn head back to the newest intact checkpoint'
complete -c warden -n "__fish_warden_using_subcommand help; and __fish_seen_subcommand_from recover" -f -a "clear" -d 'Archive a latched incident to incidents/ with a resolution record'
complete -c warden -n "__fish_warden_using_subcommand help; and __fish_seen_subcommand_from recover" -f -a "flush" -d 'Replace every pending submitter transaction with a 0-value self-transfer'
complete -c warden -n "__fish_warden_using_subcommand help; and __fish_seen_subcommand_from recover" -f -a "replay" -d 'Re-derive the canonical state over (A, B] into a new directory (touches no state)'
complete -c warden -n "__fish_warden_using_subcommand help; and __fish_seen_subcommand_from recover" -f -a "restore" -d 'Make a verified snapshot bundle the head; the replaced head moves to archive/'
complete -c warden -n "__fish_warden_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "verify" -d 'Re-check a bundle (directory or .tar): sums, manifest, machine and digest'
complete -c warden -n "__fish_warden_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "state" -d 'Canonical state bytes (what `/finalized_state` serves) or a checkpoint\'s machine.bin'
complete -c warden -n "__fish_warden_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "batch" -d 'An SSZ batch (an outbox file or the payload of a posted input)'
